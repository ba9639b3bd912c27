// Which hosts may receive a brokered secret: exact names and `*.domain` globs (one label, as a
// wildcard certificate covers). The same rule decides a CONNECT's fate and the leaf's names.

/** Lower-case host name without a trailing dot; null when it is not a DNS name or glob. */
export function normalizeHostPattern(text: string): string | null {
  const host = text.trim().toLowerCase().replace(/\.$/, "");
  const label = "[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?";
  const name = `${label}(?:\\.${label})*`;
  return new RegExp(`^(?:\\*\\.)?${name}$`).test(host) && host.length <= 253 ? host : null;
}

/** Whether `host` (any case, optional trailing dot) is `pattern` or one label below a `*.` glob. */
export function matchesHost(pattern: string, host: string): boolean {
  const name = host.toLowerCase().replace(/\.$/, "");
  if (!pattern.startsWith("*.")) return name === pattern;
  const suffix = pattern.slice(1);
  return name.endsWith(suffix) && name.length > suffix.length && !name.slice(0, -suffix.length).includes(".");
}
