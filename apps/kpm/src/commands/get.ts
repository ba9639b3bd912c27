// `kpm get <ref>` (§8.5): print one secret value to stdout, no trailing newline. What is printed
// for each kind of reference is @kpm/agentkms-client's printableValue.
import { parseReference } from "@kpm/template/core";
import { defineKpmCommand } from "../cli/command.ts";
import { CliError, UsageError } from "../cli/errors.ts";
import { writeValue } from "../cli/io.ts";
import { toCliError } from "../cli/lib-errors.ts";
import type { KpmContext } from "../context.ts";
import { expandProfileText } from "../profile.ts";

const TIP = "tip: use kv/<path>#<key> for KV refs or llm/<provider> for LLM credentials";

export default defineKpmCommand({
  meta: { name: "get", description: "Print one secret value" },
  examples: [
    { command: "kpm get llm/anthropic", about: "an LLM API key" },
    { command: "kpm get kv/db/prod#password", about: "one field of a KV secret" },
    { command: "kpm get demo/api-key", about: "a registry secret" },
    { command: "kpm get 'kv/db/prod#user:-app'", about: "with a default when not found" },
  ],
  usage: "<ref>",
  notes: ["Refs: llm/<provider>, kv/<path>[#key], <service>/<name>[#field], each optionally [:-default]"],
  run: async ({ args, data: ctx }) => {
    const input = args._[0];
    if (!input) throw new UsageError("kpm get: no reference specified");
    const text = await expandProfileText(ctx, input.startsWith("${kms:") ? input : `\${kms:${input}}`);
    const ref = parseReference(text);
    if (!ref) return fetchUnparsed(ctx, input);
    if (ref.type === "include") throw new CliError("error: include references cannot be fetched");
    const client = await ctx.client({ authenticateEarly: true, viaAgent: true });
    const { printableValue } = await import("@kpm/agentkms-client/resolve");
    let value: string;
    try {
      value = await printableValue(client, ref);
    } catch (error) {
      throw toCliError(error);
    }
    await writeValue(value);
    return 0;
  },
});

/** An argument that is not a reference: a registry path when it has a '/', else an error (§8.5). */
async function fetchUnparsed(ctx: KpmContext, input: string): Promise<number> {
  if (!input.includes("/")) throw new CliError([`error: invalid reference "${input}"`, TIP]);
  const client = await ctx.client({ authenticateEarly: true, viaAgent: true });
  const { printableRegistryValue } = await import("@kpm/agentkms-client/resolve");
  let fields: Record<string, string>;
  try {
    fields = await client.fetchRegistrySecret(input);
  } catch (error) {
    throw toCliError(error, undefined, TIP);
  }
  await writeValue(printableRegistryValue(fields));
  return 0;
}
