// `kpm list [service] [--tag t] [--type t] [--include-deleted] [--json]` (§11.2): metadata only,
// as a table with column titles and a footer in correct English (`1 secret across 1 service`).
import type { SecretMetadata } from "@kpm/agentkms-client";
import { defineKpmCommand } from "../cli/command.ts";
import { writeStdout } from "../cli/io.ts";
import { byCodePoint, padChars, plural, truncateChars } from "../cli/text.ts";
import { call, jsonArg, metadataJson } from "./_shared.ts";

const DAY_MS = 86_400_000;

export default defineKpmCommand({
  meta: { name: "list", description: "List secrets (metadata only)" },
  examples: [
    { command: "kpm list" },
    { command: "kpm list cloudflare", about: "one service" },
    { command: "kpm list --tag ci --json", about: "tagged ci, as JSON" },
    { command: "kpm list --all", about: "every reference a template can use" },
  ],
  usage: "[service] [flags]",
  args: {
    tag: { type: "string", description: "Only secrets with this tag", valueHint: "tag" },
    "type-filter": {
      type: "string",
      alias: "type",
      description: "Only secrets of this type",
      valueHint: "type",
    },
    "include-deleted": { type: "boolean", description: "Include soft-deleted secrets" },
    all: {
      type: "boolean",
      // biome-ignore lint/suspicious/noTemplateCurlyInString: the reference syntax, spelled out
      description: "Every reference a template can use, as ${kms:…} (registry, and the local dev store's)",
    },
    ...jsonArg,
  },
  run: async ({ args, data: ctx }) => {
    const client = await ctx.client({ authenticateEarly: true, viaAgent: true });
    const all = await call(
      (c) => c.listMetadata({ includeDeleted: args["include-deleted"] === true }),
      client,
    );
    if (args.all) {
      const { templateReferences } = await import("../references.ts");
      const references = await templateReferences(ctx, all);
      if (references.length > 0) await writeStdout(`${references.join("\n")}\n`);
      return 0;
    }
    const service = args._[0];
    const tag = args.tag;
    const type = args["type-filter"];
    const matches = all.filter(
      (meta) =>
        (!service || meta.service === service) &&
        (!tag || (meta.tags ?? []).includes(tag)) &&
        (!type || (meta.type ?? "") === type),
    );
    if (args.json) {
      await writeStdout(`${JSON.stringify(matches.map(metadataJson), null, 2)}\n`);
      return 0;
    }
    if (all.length === 0) {
      await writeStdout("No secrets found. Add one with: kpm add service/name\n");
      return 0;
    }
    if (matches.length === 0) {
      await writeStdout("No secrets match the filter.\n");
      return 0;
    }
    await writeStdout(renderTable(matches, Date.now()));
    return 0;
  },
});

export function renderTable(secrets: SecretMetadata[], now: number): string {
  const byService = new Map<string, SecretMetadata[]>();
  for (const meta of secrets) {
    const group = byService.get(meta.service) ?? [];
    group.push(meta);
    byService.set(meta.service, group);
  }
  // Column titles over the same widths as the rows (the name column includes the 2-space indent).
  const lines = [
    `${padChars("SERVICE/NAME", 30)} ${padChars("TYPE", 14)} ${padChars("TAGS", 18)} ${padChars("DESCRIPTION", 30)} VERSION`,
  ];
  const services = [...byService.keys()].sort(byCodePoint);
  for (const service of services) {
    lines.push(`${service}/`);
    const group = (byService.get(service) ?? []).sort((a, b) => byCodePoint(a.name ?? "", b.name ?? ""));
    for (const meta of group) {
      const tags = meta.tags && meta.tags.length > 0 ? `[${meta.tags.join(", ")}]` : "";
      const description = meta.description ? `"${truncateChars(meta.description, 30)}"` : "";
      const extra = extraColumn(meta, now);
      // Ends with the version or the extra column, never with padding.
      lines.push(
        `  ${padChars(meta.name ?? "", 28)} ${padChars(meta.type || "generic", 14)} ${padChars(tags, 18)} ` +
          `${padChars(description, 30)} v${meta.version}${extra ? ` ${extra}` : ""}`,
      );
    }
    lines.push("");
  }
  lines.push(`${plural(secrets.length, "secret")} across ${plural(services.length, "service")}`);
  return `${lines.join("\n")}\n`;
}

function extraColumn(meta: SecretMetadata, now: number): string {
  if (meta.deleted) return "DELETED";
  if (!meta.expires) return "";
  const expires = Date.parse(meta.expires);
  if (Number.isNaN(expires)) return "";
  if (expires <= now) return "EXPIRED";
  const days = Math.floor((expires - now) / DAY_MS);
  return days < 30 ? `EXPIRES ${days}d` : "";
}
