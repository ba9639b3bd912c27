// Fast paths for the small bodies on every hot call: the session token (`POST /auth/session`), a
// registry secret's fields, a generic credential and an LLM credential. Like checkMetadataList,
// each accepts exactly what its zod schema in schemas.ts accepts and returns exactly its output;
// for anything else it declines and zod decides and words the error. Loading and running zod cost
// `kpm get` ~1 ms of CPU on a path that is otherwise two requests; the differential property test
// (test/response-checks.test.ts) holds each check to its schema.

type Fields = Record<string, string>;

/** A JSON object, as zod's object and record schemas require (not null, not an array). */
export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** sessionSchema: `{ token: <non-empty string> }`, other keys dropped. */
export function checkSession(body: unknown): { token: string } | undefined {
  if (!isRecord(body)) return undefined;
  const { token } = body;
  return typeof token === "string" && token.length > 0 ? { token } : undefined;
}

/** secretFieldsSchema: an object of strings, copied. A `__proto__` key is left to zod. */
export function checkStringMap(body: unknown): Fields | undefined {
  if (!isRecord(body)) return undefined;
  const fields: Fields = {};
  for (const key of Object.keys(body)) {
    const value = body[key];
    if (typeof value !== "string" || key === "__proto__") return undefined;
    fields[key] = value;
  }
  return fields;
}

/** genericCredentialSchema: `{ secrets: <object of strings> }`, other keys dropped. */
export function checkGenericCredential(body: unknown): { secrets: Fields } | undefined {
  if (!isRecord(body)) return undefined;
  const secrets = checkStringMap(body.secrets);
  return secrets === undefined ? undefined : { secrets };
}

/** llmCredentialSchema: `{ provider: string, api_key?: string }`, other keys dropped. */
export function checkLlmCredential(body: unknown): { provider: string; api_key?: string } | undefined {
  if (!isRecord(body)) return undefined;
  const { provider, api_key: apiKey } = body;
  if (typeof provider !== "string") return undefined;
  if (apiKey === undefined) return { provider };
  return typeof apiKey === "string" ? { provider, api_key: apiKey } : undefined;
}
