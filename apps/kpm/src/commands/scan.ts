// `kpm scan [paths…]`, `--staged`, `env`, `history`, `agents`: find exposed secrets, report them redacted as text,
// JSON or SARIF; exit 1 when anything is found (0 with --exit-zero), so hooks and CI can gate.
import { existsSync } from "node:fs";
import { resolve } from "node:path";
import {
  agentLocations,
  displayPath,
  type FileInput,
  type Finding,
  historyFiles,
  listFiles,
  NotAWorkTreeError,
  otherProcessEnvironments,
  type ScanStats,
  scanEnvironments,
  scanFiles,
  scanStaged,
  toSarif,
} from "@kpm/scan";
import { defineKpmCommand } from "../cli/command.ts";
import { CliError, UsageError } from "../cli/errors.ts";
import { writeStdout } from "../cli/io.ts";
import { plural } from "../cli/text.ts";
import { version } from "../version.ts";

export default defineKpmCommand({
  meta: { name: "scan", description: "Find exposed secrets in files (redacted report)" },
  examples: [
    { command: "kpm scan", about: "the current directory, honouring .gitignore" },
    { command: "kpm scan --staged", about: "what is staged for commit (pre-commit hook)" },
    { command: "kpm scan . --sarif > kpm.sarif", about: "for GitHub code scanning" },
    { command: "kpm scan env --exit-zero", about: "this user's process environments, report only" },
    { command: "kpm scan history", about: "shell history files" },
    {
      command: "kpm scan agents",
      about: "MCP/agent configs and transcripts (~/.claude.json, .mcp.json and more)",
    },
  ],
  usage: "[paths… | env | history | agents] [flags]",
  args: {
    json: { type: "boolean", description: "Findings as JSON" },
    sarif: { type: "boolean", description: "Findings as SARIF 2.1.0" },
    "no-ignore": { type: "boolean", description: "Also scan files .gitignore excludes" },
    staged: { type: "boolean", description: "Scan the files staged for commit (their staged content)" },
    "exit-zero": { type: "boolean", description: "Exit 0 even when secrets are found" },
  },
  run: async ({ args, data: ctx }) => {
    if (args.json && args.sarif) throw new UsageError("kpm scan: use one of --json and --sarif");
    const positionals = args._;
    let findings: Finding[];
    let stats: ScanStats | undefined;
    const source = positionals.length === 1 ? positionals[0] : undefined;
    if (args.staged && positionals.length > 0) throw new UsageError("kpm scan: --staged takes no paths");
    if (source === "env") {
      findings = await scanEnvironments(ctx.env, otherProcessEnvironments());
    } else if (args.staged) {
      try {
        ({ findings, stats } = await scanStaged(ctx.cwd));
      } catch (error) {
        if (error instanceof NotAWorkTreeError)
          throw new CliError("kpm scan: --staged needs a git work tree");
        throw error;
      }
    } else {
      const inputs: FileInput[] = [];
      const add = (path: string, noIgnore: boolean) => {
        for (const file of listFiles(path, { noIgnore }))
          inputs.push({ path: file, label: displayPath(file, ctx.cwd) });
      };
      if (source === "history") {
        for (const file of historyFiles(ctx.dirs.home, ctx.env.HISTFILE)) add(file, true);
      } else if (source === "agents") {
        const { files, folders } = agentLocations(ctx.dirs.home, ctx.cwd);
        for (const path of [...files, ...folders]) add(path, true);
      } else {
        for (const root of positionals.length > 0 ? positionals : ["."]) {
          const path = resolve(ctx.cwd, root);
          if (!existsSync(path)) throw new CliError(`kpm scan: ${root}: no such file or directory`);
          add(path, args["no-ignore"] === true);
        }
      }
      ({ findings, stats } = await scanFiles(inputs));
    }
    await writeStdout(format(findings, args.json === true, args.sarif === true));
    const scanned = stats ? ` in ${plural(stats.files, "file")}` : "";
    ctx.log.info(`kpm scan: ${plural(findings.length, "finding")}${scanned}`);
    return findings.length > 0 && !args["exit-zero"] ? 1 : 0;
  },
});

function format(findings: Finding[], json: boolean, sarif: boolean): string {
  if (sarif) return `${JSON.stringify(toSarif(findings, version), null, 2)}\n`;
  if (json) return `${JSON.stringify({ findings }, null, 2)}\n`;
  return findings.map((f) => `${f.file}:${f.line}:${f.column}  ${f.rule}  ${f.preview}\n`).join("");
}
