// `kpm get <ref>` (§8.5): print one secret value to stdout, no trailing newline.
import { type KmsRef, parseReference } from "@kpm/template/core";
import { defineKpmCommand } from "../cli/command.ts";
import { CliError, UsageError } from "../cli/errors.ts";
import { writeValue } from "../cli/io.ts";
import { byCodePoint } from "../cli/text.ts";
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
    const value = await fetchValue(ctx, ref);
    await writeValue(value);
    return 0;
  },
});

function fieldLines(fields: Record<string, string>): string {
  return Object.keys(fields)
    .sort(byCodePoint)
    .map((key) => `${key}=${fields[key]}`)
    .join("\n");
}

async function fetchValue(ctx: KpmContext, ref: KmsRef): Promise<string> {
  const client = await ctx.client({ authenticateEarly: true });
  const { resolveOne } = await import("@kpm/agentkms-client");
  const useDefault = (error: { notFound?: boolean }) => ref.default !== undefined && error.notFound === true;
  if (ref.type === "kv" && ref.key === undefined) {
    try {
      return fieldLines(await client.fetchGeneric(ref.path));
    } catch (error) {
      if (useDefault(error as { notFound?: boolean })) return ref.default as string;
      throw new CliError(`error: ${(error as Error).message}`);
    }
  }
  if (ref.type !== "llm" && ref.type !== "kv") {
    const path = `${ref.type}/${ref.path}`;
    let fields: Record<string, string>;
    try {
      fields = await client.fetchRegistrySecret(path);
    } catch (error) {
      if (useDefault(error as { notFound?: boolean })) return ref.default as string;
      throw new CliError(
        `unknown ref type "${ref.type}" and registry fetch failed: ${(error as Error).message}`,
      );
    }
    if (ref.key !== undefined) {
      const value = fields[ref.key];
      if (value !== undefined) return value;
      if (ref.default !== undefined) return ref.default;
      throw new CliError(`field "${ref.key}" not found at "${path}"`);
    }
    return fields.value ?? fieldLines(fields);
  }
  const result = await resolveOne(client, ref);
  if (result.ok) return result.value;
  const message = result.error.message;
  throw new CliError(message.startsWith("key ") ? message : `error: ${message}`);
}

/** An argument that is not a reference: a registry path when it has a '/', else an error (§8.5). */
async function fetchUnparsed(ctx: KpmContext, input: string): Promise<number> {
  if (!input.includes("/")) throw new CliError([`error: invalid reference "${input}"`, TIP]);
  const client = await ctx.client({ authenticateEarly: true });
  let fields: Record<string, string>;
  try {
    fields = await client.fetchRegistrySecret(input);
  } catch (error) {
    throw new CliError([`error: ${(error as Error).message}`, TIP]);
  }
  await writeValue(fields.value ?? fieldLines(fields));
  return 0;
}
