// `kpm describe <service/name> [--json]` (§11.3): one secret's metadata, never its value.
import { defineKpmCommand } from "../cli/command.ts";
import { CliError } from "../cli/errors.ts";
import { writeStdout } from "../cli/io.ts";
import { call, jsonArg, metadataJson, requirePath } from "./_shared.ts";

export default defineKpmCommand({
  meta: { name: "describe", description: "Show a secret's metadata" },
  examples: [
    { command: "kpm describe cloudflare/dns-token" },
    { command: "kpm describe cloudflare/dns-token --json" },
  ],
  usage: "<service/name> [--json]",
  args: { ...jsonArg },
  run: async ({ args, data: ctx }) => {
    const path = requirePath(args._, "describe");
    const client = await ctx.client({ viaAgent: true });
    const meta = await call((c) => c.getMetadata(path), client);
    if (!meta) throw new CliError(`error: ${path} not found`);
    if (args.json) {
      await writeStdout(`${JSON.stringify(metadataJson(meta), null, 2)}\n`);
      return 0;
    }
    const lines = [meta.name ? `${meta.service}/${meta.name}` : meta.path];
    if (meta.type) lines.push(`  Type:        ${meta.type}`);
    if (meta.tags && meta.tags.length > 0) lines.push(`  Tags:        ${meta.tags.join(", ")}`);
    if (meta.description) lines.push(`  Description: ${meta.description}`);
    lines.push(`  Created:     ${meta.created ?? ""}`, `  Updated:     ${meta.updated ?? ""}`);
    if (meta.expires) lines.push(`  Expires:     ${meta.expires}`);
    lines.push(`  Version:     ${meta.version}`);
    if (meta.deleted) lines.push("  Status:      DELETED");
    await writeStdout(`${lines.join("\n")}\n`);
    return 0;
  },
});
