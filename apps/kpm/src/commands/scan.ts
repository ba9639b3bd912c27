// `kpm scan [paths…]` and `kpm scan env`: find exposed secrets, report them redacted as text,
// JSON or SARIF; exit 1 when anything is found (0 with --exit-zero), so hooks and CI can gate.
import { existsSync } from "node:fs";
import { resolve } from "node:path";
import {
  displayPath,
  type FileInput,
  type Finding,
  listFiles,
  type ScanStats,
  scanFiles,
  scanText,
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
    { command: "kpm scan env --exit-zero", about: "this process's environment, report only" },
  ],
  usage: "[paths… | env] [flags]",
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
    if (positionals[0] === "env" && positionals.length === 1) {
      findings = await scanEnvironment(ctx.env);
    } else if (args.staged) {
      if (positionals.length > 0) throw new UsageError("kpm scan: --staged takes no paths");
      ({ findings, stats } = await scanStaged(ctx.cwd));
    } else {
      const roots = positionals.length > 0 ? positionals : ["."];
      const inputs: FileInput[] = [];
      for (const root of roots) {
        const path = resolve(ctx.cwd, root);
        if (!existsSync(path)) throw new CliError(`kpm scan: ${root}: no such file or directory`);
        for (const file of listFiles(path, { noIgnore: args["no-ignore"] === true }))
          inputs.push({ path: file, label: displayPath(file, ctx.cwd) });
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

/** Each variable as `NAME=value` under the label `env:NAME`, so a finding names the variable. */
async function scanEnvironment(env: Record<string, string | undefined>): Promise<Finding[]> {
  const findings: Finding[] = [];
  for (const [name, value] of Object.entries(env)) {
    if (value === undefined || value.length === 0) continue;
    findings.push(...(await scanText(`env:${name}`, `${name}=${value}`)));
  }
  return findings;
}

/** The staged content (the index), which is what a commit would record, not the work tree. */
async function scanStaged(cwd: string): Promise<{ findings: Finding[]; stats: ScanStats }> {
  const listed = Bun.spawnSync(["git", "diff", "--cached", "--name-only", "-z", "--diff-filter=ACMR"], {
    cwd,
    stdout: "pipe",
    stderr: "pipe",
  });
  if (listed.exitCode !== 0) throw new CliError("kpm scan: --staged needs a git work tree");
  const names = listed.stdout
    .toString()
    .split("\0")
    .filter((name) => name.length > 0);
  const findings: Finding[] = [];
  const stats: ScanStats = { files: 0, bytes: 0, skippedBinary: 0, skippedLarge: 0, unreadable: 0 };
  for (const name of names) {
    const blob = Bun.spawnSync(["git", "show", `:${name}`], { cwd, stdout: "pipe", stderr: "ignore" });
    if (blob.exitCode !== 0) continue;
    const bytes = blob.stdout;
    if (bytes.subarray(0, 8192).includes(0)) {
      stats.skippedBinary++;
      continue;
    }
    stats.files++;
    stats.bytes += bytes.length;
    findings.push(...(await scanText(name, new TextDecoder().decode(bytes))));
  }
  return { findings, stats };
}
