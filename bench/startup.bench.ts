// Startup cost of the compiled CLI: `kpm --version` and `--help` against a compiled
// hello-world, both built by the bench with the flags of scripts/build.ts (bench/compile.ts) (whole process, real spawns,
// interleaved, medians). Targets: --version ≤ 1.5× hello, --help ≤ 2× hello.
// Run alone: bun bench/startup.bench.ts

import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { compileKpm, compileSource } from "./compile.ts";
import type { BenchRow } from "./run.ts";
import { median } from "./stats.ts";

const WARMUP = 2;
const RUNS = 21;
const TARGETS = { version: 1.5, help: 2 };

function timeOnce(argv: string[], env: Record<string, string>, cwd: string): number {
  const start = Bun.nanoseconds();
  const result = Bun.spawnSync(argv, { env, cwd, stdin: "ignore", stdout: "pipe", stderr: "pipe" });
  const elapsed = (Bun.nanoseconds() - start) / 1e6;
  if (result.exitCode !== 0) throw new Error(`${argv.join(" ")} exited ${result.exitCode}`);
  return elapsed;
}

export async function run(): Promise<BenchRow[]> {
  const dir = mkdtempSync(join(tmpdir(), "kpm-startup-"));
  try {
    const hello = compileSource(dir, "hello", 'console.log("hello");\n');
    const KPM = compileKpm(dir);
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
      { name: "startup: kpm --version", value: version_ms, unit: "ms", note: `median of ${RUNS}` },
      { name: "startup: kpm --help", value: help_ms, unit: "ms", note: `median of ${RUNS}` },
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
