// Scans of what is not a plain file tree: environments (one finding per variable) and the git
// index (`--staged`: the content a commit would record, not the work tree's).

import type { Finding } from "./finding.ts";
import { BINARY_PROBE_BYTES, emptyStats, type ScanResult, scanText } from "./scan.ts";
import type { ProcessEnvironment } from "./sources.ts";

/** Each variable as `NAME=value` under `env:NAME`, or `pid:<pid>(<command>):NAME` for another process. */
export async function scanEnvironments(
  own: Record<string, string | undefined>,
  others: ProcessEnvironment[],
): Promise<Finding[]> {
  const findings: Finding[] = [];
  for (const [name, value] of Object.entries(own)) {
    if (value === undefined || value.length === 0) continue;
    findings.push(...(await scanText(`env:${name}`, `${name}=${value}`)));
  }
  for (const other of others) {
    for (const entry of other.entries) {
      const name = entry.slice(0, entry.indexOf("="));
      findings.push(...(await scanText(`pid:${other.pid}(${other.command}):${name}`, entry)));
    }
  }
  return findings;
}

export class NotAWorkTreeError extends Error {
  constructor() {
    super("not a git work tree");
    this.name = "NotAWorkTreeError";
  }
}

/** The staged content of added, copied, modified and renamed files. */
export async function scanStaged(cwd: string): Promise<ScanResult> {
  const listed = Bun.spawnSync(["git", "diff", "--cached", "--name-only", "-z", "--diff-filter=ACMR"], {
    cwd,
    stdout: "pipe",
    stderr: "pipe",
  });
  if (listed.exitCode !== 0) throw new NotAWorkTreeError();
  const names = listed.stdout
    .toString()
    .split("\0")
    .filter((name) => name.length > 0);
  const findings: Finding[] = [];
  const stats = emptyStats();
  for (const name of names) {
    const blob = Bun.spawnSync(["git", "show", `:${name}`], { cwd, stdout: "pipe", stderr: "ignore" });
    if (blob.exitCode !== 0) {
      stats.unreadable++;
      continue;
    }
    const bytes = blob.stdout;
    if (bytes.subarray(0, BINARY_PROBE_BYTES).includes(0)) {
      stats.skippedBinary++;
      continue;
    }
    stats.files++;
    stats.bytes += bytes.length;
    findings.push(...(await scanText(name, new TextDecoder().decode(bytes))));
  }
  return { findings, stats };
}
