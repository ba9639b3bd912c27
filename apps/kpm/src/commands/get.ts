// `kpm get <ref>` (§8.5): print one secret value to stdout, no trailing newline. What is printed
// for each kind of reference is get-value.ts's printableFor (@kpm/agentkms-client's rules).
import { defineKpmCommand } from "../cli/command.ts";
import { UsageError } from "../cli/errors.ts";
import { writeValue } from "../cli/io.ts";
import { printableFor, referenceText } from "../get-value.ts";

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
    // The profile code (and the template library's core) only for an argument that uses it.
    const reference = referenceText(input);
    const text = reference.includes("{{profile:")
      ? await (await import("../profile.ts")).expandProfileText(ctx, reference)
      : reference;
    const value = await printableFor(input, text, () =>
      ctx.client({ authenticateEarly: true, viaAgent: true }),
    );
    await writeValue(value);
    return 0;
  },
});
