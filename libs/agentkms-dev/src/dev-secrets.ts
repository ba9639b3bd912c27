// The library half of `kpm dev secrets set|list|delete` (cli §15.2): KV paths under kv/data/,
// written through the same locked store as the server, so a running server sees them at once.
import { type SecretValueProblem, secretValueProblem, validatePath } from "@kpm/agentkms-client";
import { DevError } from "./errors.ts";
import { SecretStore } from "./store.ts";

const KV_PREFIX = "kv/data/";

/**
 * Why `path` cannot be stored, or null when it can: kpm's client rules and words, so `kpm dev
 * secrets set` refuses exactly the paths kpm could not read back.
 */
export const validateKvPath = validatePath;

/** The refusal of a field value that cannot be a secret: it names the field, never the value. */
export function invalidFieldValue(field: string, problem: SecretValueProblem): DevError {
  return new DevError("invalid_value", `value of field ${JSON.stringify(field)} ${problem}`);
}

/**
 * Replaces the field map at kv/data/<path>; returns how many fields were stored. A value with a
 * NUL byte or an unpaired surrogate is refused before the store is touched.
 */
export async function setDevSecret(
  dir: string,
  path: string,
  fields: Record<string, string>,
): Promise<number> {
  const key = kvKey(path);
  const count = Object.keys(fields).length;
  if (count === 0) throw new DevError("invalid_fields", `no fields to store at ${path}`);
  for (const [field, value] of Object.entries(fields)) {
    const problem = secretValueProblem(value);
    if (problem !== null) throw invalidFieldValue(field, problem);
  }
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

/**
 * Every credential-store reference the dev store can answer, in template syntax without the
 * `${kms:…}` wrapper: `llm/<provider>` and `kv/<path>#<field>` (one per stored field). Registry
 * secrets are left to the API's metadata list. Values are never returned.
 */
export function listDevReferences(dir: string): string[] {
  const references: string[] = [];
  for (const [key, fields] of new SecretStore(dir).read()) {
    if (key.startsWith(`${KV_PREFIX}llm/`)) references.push(key.slice(KV_PREFIX.length));
    else if (key.startsWith(`${KV_PREFIX}generic/`)) {
      const path = key.slice(`${KV_PREFIX}generic/`.length);
      for (const field of Object.keys(fields)) references.push(`kv/${path}#${field}`);
    }
  }
  return references.sort();
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
