// `kpm scan` throughput: files/s and MB/s over a generated tree (source-like text, JSON, .env
// files, a few planted secrets), and the ratio to secretlint's own CLI (the rule set kpm uses)
// on the same tree when it is installed. KPM_BENCH_SCAN_FILES / _MB size the tree (default 2,000
// files, ~20 MB; the target tree is 10,000 files, 200 MB).
// Imported by the bench runner; `bun bench/scan.bench.ts` prints its rows.
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { BenchRow } from "./run.ts";

const ROOT = join(import.meta.dir, "..");
const FILES = Number(process.env.KPM_BENCH_SCAN_FILES ?? 2000);
const MEGABYTES = Number(process.env.KPM_BENCH_SCAN_MB ?? 20);

function xorshift(seed: number): () => number {
  let state = seed >>> 0 || 1;
  return () => {
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    return (state >>> 0) / 0x1_0000_0000;
  };
}

const WORDS =
  "const let return function import export from await async value config server port host name path".split(
    " ",
  );
const BASE62 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";

/** Writes the tree; returns its size in bytes and how many secrets were planted. */
function makeTree(dir: string, random: () => number): { bytes: number; planted: number } {
  const perFile = Math.floor((MEGABYTES * 1024 * 1024) / FILES);
  const pick = (list: string[]) => list[Math.floor(random() * list.length)] ?? "";
  const token = (length: number) => Array.from({ length }, () => pick([...BASE62])).join("");
  let bytes = 0;
  let planted = 0;
  for (let index = 0; index < FILES; index++) {
    const folder = join(dir, `d${index % 50}`, `s${index % 7}`);
    mkdirSync(folder, { recursive: true });
    const lines: string[] = [];
    let size = 0;
    while (size < perFile) {
      const line = `${pick(WORDS)} ${pick(WORDS)}_${Math.floor(random() * 1000)} = "${pick(WORDS)}/${pick(WORDS)}"; // ${pick(WORDS)} ${pick(WORDS)}`;
      lines.push(line);
      size += line.length + 1;
    }
    if (index % 100 === 0) {
      lines.splice(lines.length >> 1, 0, `GITHUB_TOKEN=${["gh", "p_"].join("")}${token(36)}`);
      planted++;
    }
    const text = `${lines.join("\n")}\n`;
    const name = index % 10 === 0 ? `f${index}.env` : index % 3 === 0 ? `f${index}.json` : `f${index}.ts`;
    writeFileSync(join(folder, name), text);
    bytes += text.length;
  }
  return { bytes, planted };
}

async function timed(argv: string[], cwd: string): Promise<{ ms: number; stdout: string; code: number }> {
  const start = performance.now();
  const child = Bun.spawn(argv, { cwd, stdout: "pipe", stderr: "pipe" });
  const [stdout, code] = await Promise.all([new Response(child.stdout).text(), child.exited]);
  return { ms: performance.now() - start, stdout, code };
}

export async function run(): Promise<BenchRow[]> {
  const dir = mkdtempSync(join(tmpdir(), "kpm-scan-bench-"));
  try {
    const { bytes, planted } = makeTree(join(dir, "tree"), xorshift(18));
    const tree = join(dir, "tree");
    const kpm = existsSync(join(ROOT, "dist/kpm"))
      ? [join(ROOT, "dist/kpm")]
      : [process.execPath, join(ROOT, "apps/kpm/src/main.ts")];
    const ours = await timed([...kpm, "scan", ".", "--no-ignore", "--json", "--exit-zero"], tree);
    const found = (JSON.parse(ours.stdout) as { findings: unknown[] }).findings.length;
    const seconds = ours.ms / 1000;
    const rows: BenchRow[] = [
      {
        name: "scan: tree",
        value: FILES,
        unit: "files",
        note: `${(bytes / 1e6).toFixed(1)} MB, ${planted} planted`,
      },
      { name: "scan: kpm scan wall time", value: ours.ms, unit: "ms", note: `${found} findings` },
      { name: "scan: kpm scan files/s", value: FILES / seconds, unit: "files/s" },
      { name: "scan: kpm scan MB/s", value: bytes / 1e6 / seconds, unit: "MB/s" },
    ];
    const secretlint = join(ROOT, "node_modules/.bin/secretlint");
    if (existsSync(secretlint)) {
      writeFileSync(
        join(dir, "secretlintrc.json"),
        JSON.stringify({ rules: [{ id: "@secretlint/secretlint-rule-preset-recommend" }] }),
      );
      const theirs = await timed(
        [
          secretlint,
          "--secretlintrc",
          join(dir, "secretlintrc.json"),
          "--format",
          "json",
          "--no-maskSecrets",
          "**/*",
        ],
        tree,
      );
      const results = JSON.parse(theirs.stdout || "[]") as Array<{ messages: unknown[] }>;
      const theirFindings = results.reduce((sum, result) => sum + result.messages.length, 0);
      rows.push(
        {
          name: "scan: secretlint CLI wall time",
          value: theirs.ms,
          unit: "ms",
          note: `same preset, same tree, ${theirFindings} findings`,
        },
        {
          name: "scan: kpm / secretlint time",
          value: ours.ms / theirs.ms,
          unit: "ratio",
          note: "target ≤ 2",
        },
      );
    } else {
      rows.push({
        name: "scan: comparison scanner",
        value: 0,
        unit: "-",
        note: "not installed (gitleaks is not packaged here)",
      });
    }
    return rows;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

if (import.meta.main) {
  const { formatTable } = await import("./run.ts");
  console.log(formatTable(await run()));
}
