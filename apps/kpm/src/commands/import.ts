// `kpm import <file>` / `--from-scan REPORT`: move dotenv secrets into the registry and leave a
// template with `${kms:…}` references. A dry run prints the plan; --yes applies it; a second run
// changes nothing.
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { basename, dirname, resolve } from "node:path";
import { describeFsError, MiB, readFileBounded } from "@kpm/bounded-read";
import {
  type ImportEntry,
  type ImportPlan,
  parseScanReport,
  planImport,
  ScanReportError,
  serviceName,
} from "@kpm/scan";
import { defineKpmCommand } from "../cli/command.ts";
import { CliError, UsageError } from "../cli/errors.ts";
import { writeStdout } from "../cli/io.ts";
import { plural } from "../cli/text.ts";
import type { KpmContext } from "../context.ts";

type Status = "new" | "unchanged" | "conflict";

/** A dotenv file is a template-sized file; a scan report may list many findings. */
const MAX_DOTENV_BYTES = MiB;
const MAX_REPORT_BYTES = 16 * MiB;
type Client = Awaited<ReturnType<KpmContext["client"]>>;

interface FilePlan {
  source: string;
  text: string;
  plan: ImportPlan;
  templatePath: string;
  templateChanged: boolean;
  rewriteChanged: boolean;
}

export default defineKpmCommand({
  meta: { name: "import", description: "Move a .env file's secrets into AgentKMS (writes a template)" },
  examples: [
    { command: "kpm import .env", about: "print the plan (dry run)" },
    { command: "kpm import .env --yes", about: "store the secrets and write .env.template" },
    { command: "kpm import .env --service myapp --rewrite --yes", about: "also replace the values in .env" },
    { command: "kpm import --from-scan scan.json", about: "the dotenv lines a kpm scan report names" },
  ],
  usage: "<file> | --from-scan <report> [flags]",
  args: {
    "from-scan": {
      type: "string",
      description: "Import the lines a kpm scan --json or --sarif report names",
      valueHint: "report",
    },
    service: {
      type: "string",
      description: "Service part of each path (default: the folder's name)",
      valueHint: "name",
    },
    template: {
      type: "string",
      description: "Where to write the template (default: <file>.template)",
      valueHint: "path",
    },
    rewrite: { type: "boolean", description: "Replace the values in <file> by the references" },
    "no-backup": { type: "boolean", description: "With --rewrite: keep no <file>.kpm-backup copy" },
    yes: { type: "boolean", alias: "y", description: "Apply the plan (default: dry run)" },
    force: { type: "boolean", description: "Overwrite registry secrets that hold a different value" },
  },
  run: async ({ args, data: ctx }) => {
    const fromScan = args["from-scan"];
    const file = args._[0];
    if (args._.length > 1 || (file === undefined) === (fromScan === undefined))
      throw new UsageError("kpm import: one file required (e.g. kpm import .env), or --from-scan REPORT");
    if (fromScan !== undefined && args.template)
      throw new UsageError("kpm import: --template names one template; it does not go with --from-scan");

    const targets: Array<{ shown: string; source: string; lines?: Set<number> }> = [];
    if (file !== undefined) targets.push({ shown: file, source: ctx.flagPath(file) });
    else {
      let report: Map<string, Set<number>>;
      try {
        report = parseScanReport(readText(ctx.flagPath(fromScan ?? ""), fromScan ?? "", MAX_REPORT_BYTES));
      } catch (error) {
        if (error instanceof ScanReportError) throw new CliError(`kpm import: ${fromScan}: ${error.message}`);
        throw error;
      }
      for (const [name, lines] of report) {
        // Findings in environments (env:…, pid:…) name no file to import from.
        if (/^(?:env|pid):/.test(name)) continue;
        targets.push({ shown: name, source: resolve(ctx.cwd, name), lines });
      }
    }

    const { credentialStorePath } = await import("@kpm/agentkms-client");
    const plans: FilePlan[] = [];
    for (const target of targets) {
      const text = readText(target.source, target.shown, MAX_DOTENV_BYTES);
      const service = serviceName(args.service ?? basename(dirname(resolve(target.source))));
      if (service.length === 0 || credentialStorePath(`${service}/x`)) {
        throw new CliError([
          `kpm import: "${service}" cannot be the service of registry secrets`,
          "  choose one with --service NAME",
        ]);
      }
      const plan = await planImport(text, service, target.lines);
      const templatePath = args.template ? ctx.flagPath(args.template) : `${target.source}.template`;
      plans.push({
        source: target.source,
        text,
        plan,
        templatePath,
        templateChanged: !sameFile(templatePath, plan.template),
        rewriteChanged: args.rewrite === true && text !== plan.template,
      });
    }

    const secrets = plans.flatMap((filePlan) => filePlan.plan.secrets);
    const client = secrets.length > 0 ? await ctx.client() : null;
    const statuses = new Map<ImportEntry, Status>();
    for (const entry of secrets) statuses.set(entry, client ? await statusOf(client, entry) : "new");

    const lines: string[] = [];
    for (const { source, plan, templatePath, templateChanged, rewriteChanged } of plans) {
      for (const entry of plan.secrets)
        lines.push(`store  ${entry.name} → ${entry.path}  (${entry.rule}) ${statuses.get(entry)}`);
      for (const name of plan.kept) lines.push(`keep   ${name}`);
      lines.push(`write  ${templatePath}${templateChanged ? "" : " unchanged"}`);
      if (args.rewrite) lines.push(`rewrite ${source}${rewriteChanged ? "" : " unchanged"}`);
    }
    await writeStdout(lines.length > 0 ? `${lines.join("\n")}\n` : "");

    const conflicts = secrets.filter((entry) => statuses.get(entry) === "conflict");
    if (conflicts.length > 0 && !args.force) {
      throw new CliError([
        `kpm import: ${conflicts.map((entry) => entry.path).join(", ")} already ${conflicts.length === 1 ? "holds" : "hold"} a different value`,
        "  use --service to import elsewhere, or --force to overwrite",
      ]);
    }
    if (!args.yes) {
      ctx.log.info("kpm import: dry run, nothing changed; run again with --yes to apply");
      return 0;
    }
    let stored = 0;
    for (const entry of secrets) {
      if (statuses.get(entry) === "unchanged" || !client) continue;
      try {
        await client.writeSecret(entry.path, { value: entry.value });
      } catch (error) {
        throw new CliError(`kpm import: store ${entry.path}: ${(error as Error).message}`);
      }
      stored++;
    }
    for (const { source, text, plan, templatePath, templateChanged, rewriteChanged } of plans) {
      if (templateChanged) writeFileSync(templatePath, plan.template, { mode: 0o644 });
      if (!rewriteChanged) continue;
      const backup = `${source}.kpm-backup`;
      if (!args["no-backup"]) {
        if (existsSync(backup))
          throw new CliError(`kpm import: ${backup} exists; move it away or use --no-backup`);
        writeFileSync(backup, text, { mode: 0o600 });
      }
      writeFileSync(source, plan.template);
    }
    ctx.log.info(
      `kpm import: stored ${plural(stored, "secret")}, ${plural(secrets.length - stored, "already there", "already there")}`,
    );
    return 0;
  },
});

function readText(path: string, shown: string, maxBytes: number): string {
  try {
    return new TextDecoder().decode(readFileBounded(path, maxBytes, { regularOnly: true }));
  } catch (error) {
    throw new CliError(`kpm import: read ${shown}: ${describeFsError(error)}`);
  }
}

async function statusOf(client: Client, entry: ImportEntry): Promise<Status> {
  try {
    const metadata = await client.getMetadata(entry.path);
    if (!metadata || metadata.deleted) return "new";
    const fields = await client.fetchRegistrySecret(entry.path);
    return fields.value === entry.value ? "unchanged" : "conflict";
  } catch (error) {
    throw new CliError(`kpm import: check ${entry.path}: ${(error as Error).message}`);
  }
}

function sameFile(path: string, text: string): boolean {
  return existsSync(path) && readFileSync(path, "utf8") === text;
}
