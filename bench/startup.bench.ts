// Startup cost of the compiled CLI: `dist/kpm --version` and `--help` against a compiled
// hello-world built with the same flags as scripts/build.ts (whole process, real spawns,
// interleaved, medians). Targets: --version ≤ 1.5× hello, --help ≤ 2× hello.
// Run alone: bun bench/startup.bench.ts

import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { COMPILE_FLAGS } from "../scripts/build.ts";

export interface BenchRow {
  name: string;
  value: number;
  unit: string;
  note?: string;
}

const ROOT = join(import.meta.dir, "..");
const KPM = join(ROOT, "dist/kpm");
const WARMUP = 2;
const RUNS = 21;
const TARGETS = { version: 1.5, help: 2 };

/** The build flags of scripts/build.ts (spec §16.1), minus the build-specific --define values. */
export function buildFlags(): string[] {
  return [...COMPILE_FLAGS];
}

function compileHello(dir: string): string {
  const entry = join(dir, "hello.ts");
  const outfile = join(dir, "hello");
  writeFileSync(entry, 'console.log("hello");\n');
  const built = Bun.spawnSync([process.execPath, "build", ...buildFlags(), entry, "--outfile", outfile], {
    cwd: dir,
    stdout: "pipe",
    stderr: "pipe",
  });
  if (built.exitCode !== 0) throw new Error(`build hello failed: ${built.stderr.toString()}`);
  return outfile;
}

function ensureKpm(): void {
  if (existsSync(KPM)) return;
  const built = Bun.spawnSync([process.execPath, "run", "build"], {
    cwd: ROOT,
    stdout: "pipe",
    stderr: "pipe",
  });
  if (built.exitCode !== 0) throw new Error(`bun run build failed: ${built.stderr.toString()}`);
}

function timeOnce(argv: string[], env: Record<string, string>, cwd: string): number {
  const start = Bun.nanoseconds();
  const result = Bun.spawnSync(argv, { env, cwd, stdin: "ignore", stdout: "pipe", stderr: "pipe" });
  const elapsed = (Bun.nanoseconds() - start) / 1e6;
  if (result.exitCode !== 0) throw new Error(`${argv.join(" ")} exited ${result.exitCode}`);
  return elapsed;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1
    ? (sorted[middle] as number)
    : ((sorted[middle - 1] as number) + (sorted[middle] as number)) / 2;
}

export async function run(): Promise<BenchRow[]> {
  ensureKpm();
  const dir = mkdtempSync(join(tmpdir(), "kpm-startup-"));
  try {
    const hello = compileHello(dir);
    // An empty HOME: --help resolves the config dir, which must not depend on this machine.
    const env = { HOME: dir, PATH: process.env.PATH ?? "/usr/bin:/bin" };
    const cases: Record<string, string[]> = {
      hello: [hello],
      version: [KPM, "--version"],
      help: [KPM, "--help"],
    };
    const samples: Record<string, number[]> = { hello: [], version: [], help: [] };
    for (let round = 0; round < WARMUP + RUNS; round++) {
      // Interleaved so drift (CPU frequency, page cache) hits every case alike.
      for (const [name, argv] of Object.entries(cases)) {
        const elapsed = timeOnce(argv, env, dir);
        if (round >= WARMUP) samples[name]?.push(elapsed);
      }
    }
    const hello_ms = median(samples.hello ?? []);
    const version_ms = median(samples.version ?? []);
    const help_ms = median(samples.help ?? []);
    const verdict = (ratio: number, target: number) =>
      `target ≤ ${target}× — ${ratio <= target ? "ok" : "OVER"}`;
    return [
      {
        name: "startup: hello (compiled, same flags)",
        value: hello_ms,
        unit: "ms",
        note: `median of ${RUNS}`,
      },
      { name: "startup: dist/kpm --version", value: version_ms, unit: "ms", note: `median of ${RUNS}` },
      { name: "startup: dist/kpm --help", value: help_ms, unit: "ms", note: `median of ${RUNS}` },
      {
        name: "startup: --version / hello",
        value: version_ms / hello_ms,
        unit: "×",
        note: verdict(version_ms / hello_ms, TARGETS.version),
      },
      {
        name: "startup: --help / hello",
        value: help_ms / hello_ms,
        unit: "×",
        note: verdict(help_ms / hello_ms, TARGETS.help),
      },
    ];
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

if (import.meta.main) {
  for (const row of await run())
    console.log(`${row.name}\t${row.value.toFixed(2)} ${row.unit}\t${row.note ?? ""}`);
}
