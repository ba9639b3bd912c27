// What `kpm get <ref>` prints for its argument (§8.5), given a client: the one rule the command and
// the agent's fast path share. Profile expansion stays with the command (the fast path declines
// an argument that has `{{profile:`).
import type { AgentKmsClient } from "@kpm/agentkms-client/resolve";
import { parseReference } from "@kpm/template/reference";
import { CliError } from "./cli/errors.ts";
import { toCliError } from "./cli/lib-errors.ts";

export const GET_TIP = "tip: use kv/<path>#<key> for KV refs or llm/<provider> for LLM credentials";

/** The reference text of an argument: `${kms:…}` as given, else wrapped in it. */
export function referenceText(input: string): string {
  return input.startsWith("${kms:") ? input : `\${kms:${input}}`;
}

/**
 * The value to print for `input` (already profile-expanded as `text`), fetched with `client()`.
 * Throws the CliError the command reports. `client` is called only for an argument that can be
 * fetched, so an invalid one fails before any connection.
 */
export async function printableFor(
  input: string,
  text: string,
  client: () => Promise<AgentKmsClient>,
): Promise<string> {
  const ref = parseReference(text);
  if (!ref) {
    // An argument that is not a reference: a registry path when it has a '/', else an error.
    if (!input.includes("/")) throw new CliError([`error: invalid reference "${input}"`, GET_TIP]);
    const [connected, { printableRegistryValue }] = await Promise.all([
      client(),
      import("@kpm/agentkms-client/resolve"),
    ]);
    try {
      return printableRegistryValue(await connected.fetchRegistrySecret(input));
    } catch (error) {
      throw toCliError(error, undefined, GET_TIP);
    }
  }
  if (ref.type === "include") throw new CliError("error: include references cannot be fetched");
  const [connected, { printableValue }] = await Promise.all([
    client(),
    import("@kpm/agentkms-client/resolve"),
  ]);
  try {
    return await printableValue(connected, ref);
  } catch (error) {
    throw toCliError(error);
  }
}
