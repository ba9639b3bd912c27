// Turns template references into values (kpm-cli.md §6.3, §6.4) so `env`, `run`, `get` and the strict
// listener share one set of rules: which route, which field, and when a default may stand in.
import type { AgentKmsClient } from "./client.ts";
import { AgentKmsError } from "./errors.ts";

export interface KmsRefLike {
  type: string;
  path: string;
  key?: string;
  /** undefined = no default; "" = the empty default. */
  default?: string;
}

export type RefResult =
  | { ok: true; value: string; fromDefault: boolean }
  | { ok: false; error: AgentKmsError; denied: boolean };

/** What one request returned, before a reference picks its field out of it. */
type Fetched =
  | { kind: "llm"; apiKey: string | undefined }
  | { kind: "fields"; fields: Record<string, string> };

function notFound(code: "missing_key" | "missing_field" | "resolve", message: string): AgentKmsError {
  return new AgentKmsError(code, message, { notFound: true });
}

function requestKey(ref: KmsRefLike): string {
  if (ref.type === "llm") return `llm\u0000${ref.path}`;
  if (ref.type === "kv") return `kv\u0000${ref.path}`;
  return `registry\u0000${ref.type}/${ref.path}`;
}

async function fetchFor(client: AgentKmsClient, ref: KmsRefLike): Promise<Fetched> {
  if (ref.type === "llm") return { kind: "llm", apiKey: (await client.fetchLLM(ref.path)).api_key };
  if (ref.type === "kv") return { kind: "fields", fields: await client.fetchGeneric(ref.path) };
  return { kind: "fields", fields: await client.fetchRegistrySecret(`${ref.type}/${ref.path}`) };
}

function own(fields: Record<string, string>, key: string): string | undefined {
  return Object.hasOwn(fields, key) ? fields[key] : undefined;
}

/** The value a reference names inside a fetched answer; throws a "resolve" error when it is absent. */
function pick(ref: KmsRefLike, fetched: Fetched): string {
  if (fetched.kind === "llm") {
    if (fetched.apiKey === undefined) throw notFound("resolve", `no api_key for provider "${ref.path}"`);
    return fetched.apiKey;
  }
  const { fields } = fetched;
  if (ref.type === "kv") {
    if (ref.key !== undefined) {
      const value = own(fields, ref.key);
      if (value === undefined)
        throw notFound("missing_key", `key "${ref.key}" not found at path "${ref.path}"`);
      return value;
    }
    const value = own(fields, "value");
    if (value === undefined) {
      // Like a multi-field registry secret without #key: ambiguous, so it fails closed (no default).
      throw new AgentKmsError("resolve", `key not specified and no "value" field at path "${ref.path}"`);
    }
    return value;
  }
  const where = `${ref.type}/${ref.path}`;
  if (ref.key !== undefined) {
    const value = own(fields, ref.key);
    if (value === undefined) throw notFound("missing_field", `field "${ref.key}" not found at "${where}"`);
    return value;
  }
  const value = own(fields, "value");
  if (value === undefined) {
    throw new AgentKmsError("resolve", `multi-field secret at "${where}", specify field with #key`);
  }
  return value;
}

function asAgentKmsError(error: unknown): AgentKmsError {
  if (error instanceof AgentKmsError) return error;
  return new AgentKmsError("transport", "connection failed: unexpected error");
}

function settle(ref: KmsRefLike, outcome: () => string): RefResult {
  try {
    return { ok: true, value: outcome(), fromDefault: false };
  } catch (caught) {
    const error = asAgentKmsError(caught);
    // §6.4: a default stands in only for "not found", never for denials, outages or ambiguity.
    if (error.notFound && ref.default !== undefined)
      return { ok: true, value: ref.default, fromDefault: true };
    return { ok: false, error, denied: error.denied };
  }
}

async function attempt(fetching: Promise<Fetched>): Promise<() => Fetched> {
  try {
    const fetched = await fetching;
    return () => fetched;
  } catch (error) {
    return () => {
      throw error;
    };
  }
}

/** One request for one reference, no caching (strict mode). */
export async function resolveOne(client: AgentKmsClient, ref: KmsRefLike): Promise<RefResult> {
  const fetched = await attempt(fetchFor(client, ref));
  return settle(ref, () => pick(ref, fetched()));
}

/** Every distinct kv path, llm provider and registry path fetched once; results and errors shared. */
export async function resolveBatch(
  client: AgentKmsClient,
  refs: readonly KmsRefLike[],
): Promise<RefResult[]> {
  const requests = new Map<string, Promise<() => Fetched>>();
  const pending = refs.map((ref) => {
    const key = requestKey(ref);
    let request = requests.get(key);
    if (request === undefined) {
      // Started all at once; the client's own limit keeps this at ≤ 8 requests in flight.
      request = attempt(fetchFor(client, ref));
      requests.set(key, request);
    }
    return request;
  });
  return Promise.all(
    refs.map(async (ref, index) => {
      const fetched = await pending[index];
      return settle(ref, () => {
        if (fetched === undefined) throw new AgentKmsError("resolve", "internal error: no request");
        return pick(ref, fetched());
      });
    }),
  );
}

/** The value of one reference, or its error thrown (for `kpm get`). */
export async function resolveReference(client: AgentKmsClient, ref: KmsRefLike): Promise<string> {
  const result = await resolveOne(client, ref);
  if (!result.ok) throw result.error;
  return result.value;
}
