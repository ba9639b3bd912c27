// The one rule on which strings may be a secret value, and which can reach a child's environment.
// Checked before the runtime sees them: Bun.spawn's error for a NUL byte quotes the whole value.

/** Why a value is refused; fixed texts, so a message built from one never carries the value. */
export type SecretValueProblem = "contains a NUL byte" | "is not valid UTF-8";

/**
 * Why a variable is left out of an environment when canPassInEnvironment says no: fixed, because
 * the runtime's own error for such a value quotes it.
 */
export const UNPASSABLE_VALUE = "value cannot be passed in an environment variable";

/**
 * Linux caps each `NAME=value` string handed to execve at MAX_ARG_STRLEN (32 pages), the
 * terminating NUL included; past it Bun.spawn fails with E2BIG.
 */
export const MAX_ENV_STRING_BYTES = 32 * 4096;

/**
 * Why `value` cannot be a secret, or null when it can. A NUL byte cannot be passed in an
 * environment variable; an unpaired surrogate (a JSON `\ud800` escape) has no UTF-8 form and
 * would silently become U+FFFD on its way to a file, a socket or a child.
 */
export function secretValueProblem(value: string): SecretValueProblem | null {
  if (value.includes("\0")) return "contains a NUL byte";
  if (!value.isWellFormed()) return "is not valid UTF-8";
  return null;
}

/**
 * Whether `NAME=value` reaches a child's environment unchanged: no NUL byte, no unpaired surrogate
 * (Bun would rewrite it to U+FFFD) and, on Linux, within the per-string limit of execve.
 */
export function canPassInEnvironment(
  name: string,
  value: string,
  platform: NodeJS.Platform = process.platform,
): boolean {
  if (name.includes("\0") || secretValueProblem(value) !== null) return false;
  if (platform !== "linux") return true;
  // UTF-8 needs at most 3 bytes per UTF-16 unit: the exact count only for values near the limit.
  const ceiling = MAX_ENV_STRING_BYTES - 2;
  if ((name.length + value.length) * 3 <= ceiling) return true;
  return Buffer.byteLength(name) + Buffer.byteLength(value) <= ceiling;
}
