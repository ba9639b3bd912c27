// What `kpm get` prints for one reference (§8.5): the value, the default when the secret is not
// found, or a bundle as sorted `key=value` lines (a kv path without #key, a multi-field registry
// secret) — and the registry fallback for a reference type that is neither llm nor kv.
import type { AgentKmsClient } from "./client.ts";
import { AgentKmsError } from "./errors.ts";
import { type KmsRefLike, resolveOne } from "./resolve.ts";

/** Every field as a `key=value` line, keys in code-point order, joined by newlines (no trailing one). */
export function fieldLines(fields: Record<string, string>): string {
  return Object.keys(fields)
    .sort((a, b) => (a < b ? -1 : a > b ? 1 : 0))
    .map((key) => `${key}=${fields[key]}`)
    .join("\n");
}

/** A registry secret as printed: its `value` field, else all of its fields as lines. */
export function printableRegistryValue(fields: Record<string, string>): string {
  return own(fields, "value") ?? fieldLines(fields);
}

/**
 * The text `kpm get` prints for a parsed reference. Throws an AgentKmsError: the client's own, a
 * resolution error ("missing_key", "resolve"), "missing_field" for a registry field that is not
 * there, or "registry_fallback" when a reference of another type fails as a registry path.
 */
export async function printableValue(client: AgentKmsClient, ref: KmsRefLike): Promise<string> {
  if (ref.type === "kv" && ref.key === undefined) {
    try {
      return fieldLines(await client.fetchGeneric(ref.path));
    } catch (error) {
      if (defaultApplies(ref, error)) return ref.default;
      throw error;
    }
  }
  if (ref.type !== "llm" && ref.type !== "kv") return printableRegistryReference(client, ref);
  const result = await resolveOne(client, ref);
  if (result.ok) return result.value;
  throw result.error;
}

async function printableRegistryReference(client: AgentKmsClient, ref: KmsRefLike): Promise<string> {
  const path = `${ref.type}/${ref.path}`;
  let fields: Record<string, string>;
  try {
    fields = await client.fetchRegistrySecret(path);
  } catch (error) {
    if (defaultApplies(ref, error)) return ref.default;
    throw registryFallbackError(ref.type, error);
  }
  if (ref.key === undefined) return printableRegistryValue(fields);
  const value = own(fields, ref.key);
  if (value !== undefined) return value;
  if (ref.default !== undefined) return ref.default;
  throw new AgentKmsError("missing_field", `field "${ref.key}" not found at "${path}"`, { notFound: true });
}

/** A default stands in only for "not found" (§6.4), never for a denial or a transport failure. */
function defaultApplies(ref: KmsRefLike, error: unknown): ref is KmsRefLike & { default: string } {
  return ref.default !== undefined && error instanceof AgentKmsError && error.notFound;
}

function registryFallbackError(type: string, error: unknown): AgentKmsError {
  const reason = error instanceof Error ? error.message : String(error);
  const message = `unknown ref type "${type}" and registry fetch failed: ${reason}`;
  if (!(error instanceof AgentKmsError)) return new AgentKmsError("registry_fallback", message);
  return new AgentKmsError("registry_fallback", message, {
    ...(error.status !== undefined ? { status: error.status } : {}),
    ...(error.serverCode !== undefined ? { serverCode: error.serverCode } : {}),
    notFound: error.notFound,
    denied: error.denied,
  });
}

function own(fields: Record<string, string>, key: string): string | undefined {
  return Object.hasOwn(fields, key) ? fields[key] : undefined;
}
