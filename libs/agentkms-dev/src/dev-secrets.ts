// The library half of `kpm dev secrets set|list|delete` (cli §15.2): KV paths under kv/data/,
// written through the same locked store as the server, so a running server sees them at once.
import { DevError } from "./errors.ts";
import { SecretStore } from "./store.ts";

const KV_PREFIX = "kv/data/";
const CONTROL_CHARACTER = /[\u0000-\u001f\u007f-\u009f]/;
// Long hex runs look like keys or hashes; agentkms-dev's audit refuses them after storing the value.
const LONG_HEX_RUN = /[0-9a-fA-F]{64,}/;

/** Why `path` cannot be stored, or null when it can (same rules and words as kpm's client). */
export function validateKvPath(path: string): string | null {
  if (path === "") return "empty path";
  if (path.startsWith("/")) return 'leading "/"';
  if (path.endsWith("/")) return 'trailing "/"';
  if (CONTROL_CHARACTER.test(path)) return "control character";
  for (const segment of path.split("/")) {
    if (segment === "") return "empty segment";
    if (segment === "." || segment === "..") return `"${segment}" segment`;
  }
  if (LONG_HEX_RUN.test(path)) return "run of 64 or more hex digits";
  return null;
}

/** Replaces the field map at kv/data/<path>; returns how many fields were stored. */
export async function setDevSecret(
  dir: string,
  path: string,
  fields: Record<string, string>,
): Promise<number> {
  const key = kvKey(path);
  const count = Object.keys(fields).length;
  if (count === 0) throw new DevError("invalid_fields", `no fields to store at ${path}`);
  const stored = Object.fromEntries(Object.entries(fields));
  await new SecretStore(dir).update((kv) => {
    kv.set(key, stored);
  });
  return count;
}

/** Every stored KV path, with its kv/data/ prefix, sorted. */
export function listDevSecrets(dir: string): string[] {
  return [...new SecretStore(dir).read().keys()].sort();
}

export async function deleteDevSecret(dir: string, path: string): Promise<void> {
  const key = kvKey(path);
  const store = new SecretStore(dir);
  const deleted = store.exists() && (await store.update((kv) => kv.delete(key)));
  if (!deleted) throw new DevError("not_found", `${path} not found`);
}

function kvKey(path: string): string {
  const reason = validateKvPath(path);
  if (reason !== null) throw new DevError("invalid_path", `invalid path ${JSON.stringify(path)}: ${reason}`);
  return KV_PREFIX + path;
}
