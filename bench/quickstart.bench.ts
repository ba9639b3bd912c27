// `kpm quickstart` end to end (spec §14, target ≤ 3 s): a first run from an empty HOME (PKI,
// detached dev server, seed, files) and an idempotent rerun, each in a fresh sandbox, with the
// compiled dist/kpm when built (else from source). Medians of a few runs.
// Imported by the bench runner; `bun bench/quickstart.bench.ts` prints its rows.
import { existsSync, mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { join } from "node:path";
import type { BenchRow } from "./run.ts";

const ROOT = join(import.meta.dir, "..");
const BINARY = join(ROOT, "dist/kpm");
const RUNS = 3;

function freePort(): number {
  const listener = Bun.listen({ hostname: "127.0.0.1", port: 0, socket: { data() {} } });
  const { port } = listener;
  listener.stop(true);
  return port;
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? 0;

async function timed(command: string[], env: Record<string, string>, cwd: string): Promise<number> {
  const started = performance.now();
  const child = Bun.spawn(command, { env, cwd, stdin: "ignore", stdout: "ignore", stderr: "pipe" });
  const [stderr, code] = await Promise.all([new Response(child.stderr).text(), child.exited]);
  const elapsed = performance.now() - started;
  if (code !== 0) throw new Error(`${command.join(" ")} failed (${code}): ${stderr}`);
  return elapsed;
}

export async function run(): Promise<BenchRow[]> {
  const compiled = existsSync(BINARY);
  const kpm = compiled ? [BINARY] : [process.execPath, join(ROOT, "apps/kpm/src/main.ts")];
  const first: number[] = [];
  const again: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    const root = mkdtempSync("/tmp/kq-");
    const home = join(root, "h");
    const devDir = join(root, "d");
    mkdirSync(home);
    mkdirSync(join(root, "t"));
    // Without the agent quickstart would also start one (~0.1 s); its own bench is agent.bench.ts.
    const env = {
      HOME: home,
      TMPDIR: join(root, "t"),
      PATH: process.env.PATH ?? "/usr/bin:/bin",
      KPM_NO_AGENT: "1",
    };
    const args = ["quickstart", "--addr", `127.0.0.1:${freePort()}`, "--dir", devDir];
    try {
      first.push(await timed([...kpm, ...args], env, root));
      again.push(await timed([...kpm, ...args], env, root));
    } finally {
      await timed([...kpm, "dev", "stop", "--dir", devDir], env, root).catch(() => 0);
      rmSync(root, { recursive: true, force: true });
    }
  }
  const how = compiled ? "compiled dist/kpm" : "from source";
  return [
    {
      name: "quickstart, first run from an empty HOME",
      value: Math.round(median(first)),
      unit: "ms",
      note: `${how}, median of ${RUNS}; target ≤ 3000`,
    },
    {
      name: "quickstart, idempotent rerun",
      value: Math.round(median(again)),
      unit: "ms",
      note: `${how}, server reused, every file kept, median of ${RUNS}`,
    },
  ];
}

if (import.meta.main) {
  for (const row of await run()) {
    console.log(`${row.name}: ${row.value} ${row.unit}${row.note ? ` (${row.note})` : ""}`);
  }
}
