// Whole-process latency of the compiled kpm: `kpm get svc/name` against a floor (a ~15-line Bun
// script compiled with the same flags that reads the same PEM files and makes the same two mTLS
// requests), and `kpm list` over 1,000 secrets against `kpm get`. Medians of interleaved runs.
// Imported by the bench runner; `bun bench/get.bench.ts` prints its rows.

import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createClient } from "@kpm/agentkms-client";
import { enroll, startDevServer } from "@kpm/agentkms-dev";
import { compileKpm, compileSource } from "./compile.ts";
import type { BenchRow } from "./run.ts";
import { median, round } from "./stats.ts";

const RUNS = 41;
const WARMUP = 2;
const LIST_SECRETS = 1000;

/**
 * The floor: the least a `get` can do under spec §6.1 — read three PEM files, open one TLS 1.3-only
 * Bun.FetchSession without proxy (as kpm must; plain fetch with per-request tls was ~2 ms slower,
 * which flattered kpm), authenticate, read, print. The mask is
 * SSL_OP_NO_TLSv1 | SSL_OP_NO_TLSv1_1 | SSL_OP_NO_TLSv1_2, spelled out as kpm does.
 */
const FLOOR_SOURCE = `import { readFileSync } from "node:fs";
const env = process.env;
const session = new Bun.FetchSession({
  tls: {
    cert: readFileSync(env.FLOOR_CERT ?? ""),
    key: readFileSync(env.FLOOR_KEY ?? ""),
    ca: readFileSync(env.FLOOR_CA ?? ""),
    secureOptions: 0x04000000 | 0x10000000 | 0x08000000,
  },
  proxy: false,
});
const auth = await session.fetch(env.FLOOR_SERVER + "/auth/session", { method: "POST" });
const { token } = (await auth.json()) as { token: string };
const read = await session.fetch(env.FLOOR_SERVER + "/secrets/" + env.FLOOR_PATH, {
  headers: { Authorization: "Bearer " + token },
});
const fields = (await read.json()) as { value: string };
await Bun.write(Bun.stdout, fields.value);
`;

/** Milliseconds from spawn to exit; fails loudly when the output is not what was expected. */
async function timeProcess(argv: string[], env: Record<string, string>, expected: (out: string) => boolean) {
  const started = performance.now();
  const child = Bun.spawn(argv, { env, stdin: "ignore", stdout: "pipe", stderr: "pipe" });
  const [stdout, code] = await Promise.all([new Response(child.stdout).text(), child.exited]);
  const elapsed = performance.now() - started;
  if (code !== 0 || !expected(stdout)) {
    throw new Error(`${argv.join(" ")} → exit ${code}: ${await new Response(child.stderr).text()}`);
  }
  return elapsed;
}

export async function run(): Promise<BenchRow[]> {
  const work = mkdtempSync(join(tmpdir(), "kpm-get-bench-"));
  const dir = join(work, "dev");
  const home = join(work, "home");
  mkdirSync(join(home, ".config", "kpm"), { recursive: true, mode: 0o700 });
  await enroll(dir);
  const server = await startDevServer({ dir, host: "127.0.0.1", port: 0, log: () => {} });
  try {
    const files = {
      server: `https://127.0.0.1:${server.port}`,
      cert: join(dir, "clients", "forge-gateway", "client.crt"),
      key: join(dir, "clients", "forge-gateway", "client.key"),
      ca: join(dir, "ca.crt"),
    };
    writeFileSync(
      join(home, ".config", "kpm", "config.yaml"),
      `server: ${files.server}\ncert: ${files.cert}\nkey: ${files.key}\nca: ${files.ca}\n`,
      { mode: 0o600 },
    );
    const value = "bench-value-0123456789";
    const client = createClient(files);
    await client.writeSecret("bench/get", { value });
    // Seed in batches of 8 (the client's in-flight limit); metadata makes the list rows realistic.
    for (let start = 0; start < LIST_SECRETS - 1; start += 8) {
      const batch = Array.from({ length: Math.min(8, LIST_SECRETS - 1 - start) }, (_, offset) => {
        const path = `svc${(start + offset) % 25}/secret-${start + offset}`;
        return client
          .writeSecret(path, { value: `v${start + offset}` })
          .then(() => client.writeMetadata(path, { type: "api-token", tags: ["ci"], description: "seeded" }));
      });
      await Promise.all(batch);
    }
    client.close();

    const kpm = compileKpm(work);
    const floor = compileSource(work, "floor", FLOOR_SOURCE);

    // The direct path: the warm agent has its own bench (agent.bench.ts).
    const env = { PATH: process.env.PATH ?? "/usr/bin:/bin", HOME: home, TMPDIR: work, KPM_NO_AGENT: "1" };
    const floorEnv = {
      ...env,
      FLOOR_SERVER: files.server,
      FLOOR_CERT: files.cert,
      FLOOR_KEY: files.key,
      FLOOR_CA: files.ca,
      FLOOR_PATH: "bench/get",
    };
    const isValue = (out: string) => out === value;
    const isTable = (out: string) => out.endsWith(`${LIST_SECRETS} secrets across 26 services\n`);
    const samples = {
      get: [] as number[],
      floor: [] as number[],
      list: [] as number[],
      listGet: [] as number[],
    };
    // Two loops of interleaved pairs, each pair's order swapped every round (ABBA), so that drift
    // (other load, CPU frequency) and the server's state after the previous run hit both sides
    // alike. list gets its own loop: a 1,000-secret list leaves the server busy, which would
    // otherwise land on whichever command happened to run next.
    const pairs = async (a: () => Promise<number>, b: () => Promise<number>, into: [number[], number[]]) => {
      for (let i = 0; i < WARMUP + RUNS; i++) {
        const swap = i % 2 === 1;
        const first = await (swap ? b : a)();
        const second = await (swap ? a : b)();
        if (i < WARMUP) continue;
        into[0].push(swap ? second : first);
        into[1].push(swap ? first : second);
      }
    };
    const getOnce = () => timeProcess([kpm, "get", "bench/get"], env, isValue);
    await pairs(getOnce, () => timeProcess([floor], floorEnv, isValue), [samples.get, samples.floor]);
    await pairs(() => timeProcess([kpm, "list"], env, isTable), getOnce, [samples.list, samples.listGet]);
    const get = median(samples.get);
    const base = median(samples.floor);
    const list = median(samples.list);
    const listGet = median(samples.listGet);
    return [
      {
        name: "kpm get svc/name (compiled, whole process)",
        value: round(get),
        unit: "ms",
        note: `median of ${RUNS}`,
      },
      {
        name: "floor: compiled Bun script, same PEMs, TLS 1.3 FetchSession, 2 mTLS requests",
        value: round(base),
        unit: "ms",
        note: `median of ${RUNS}`,
      },
      { name: "kpm get / floor", value: round(get / base), unit: "x", note: "target ≤ 1.3" },
      {
        name: `kpm list, ${LIST_SECRETS} secrets (compiled, whole process)`,
        value: round(list),
        unit: "ms",
        note: `median of ${RUNS}`,
      },
      {
        name: "kpm list (1,000) / kpm get",
        value: round(list / listGet),
        unit: "x",
        note: `target ≤ 1.5 (get ${round(listGet)} ms in the list loop)`,
      },
    ];
  } finally {
    await server.close(0);
    rmSync(work, { recursive: true, force: true });
  }
}

if (import.meta.main) {
  for (const row of await run()) {
    console.log(`${row.name}: ${row.value} ${row.unit}${row.note ? ` (${row.note})` : ""}`);
  }
}
