// Strict mode cost (§9.2): decrypt latency through a real strict listener (each decrypt is one
// policy-checked, audited AgentKMS request over the listener's keep-alive mTLS connection), and
// `kpm run --strict -- true` vs `kpm run -- true` with 10 secrets (compiled binary, medians).
// Run alone: bun bench/strict.bench.ts
import { existsSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { requestDecrypt } from "@kpm/session";
import {
  createSandbox,
  KPM_BINARY,
  parseShellExports,
  runKpmProcess,
  seedCredential,
  startDevServerForTest,
  writeKpmConfig,
} from "../test/helpers/kpm-env.ts";
import type { BenchRow } from "./run.ts";

const DECRYPT_WARMUP = 200;
const DECRYPTS = 2000;
const RUN_WARMUP = 2;
const RUNS = 15;
const SECRET_COUNT = 10;

function percentile(sorted: number[], fraction: number): number {
  const index = Math.min(sorted.length - 1, Math.floor(sorted.length * fraction));
  return sorted[index] ?? Number.NaN;
}

function median(values: number[]): number {
  return percentile(
    [...values].sort((a, b) => a - b),
    0.5,
  );
}

export async function run(): Promise<BenchRow[]> {
  const sandbox = createSandbox();
  const server = await startDevServerForTest();
  const binary = existsSync(KPM_BINARY);
  try {
    writeKpmConfig(sandbox.home, server);
    const lines: string[] = [];
    for (let i = 0; i < SECRET_COUNT; i++) {
      await seedCredential(server.dir, `generic/bench/s${i}`, {
        value: `bench-secret-value-${i}-0123456789`,
      });
      lines.push(`SECRET_${i}=\${kms:kv/bench/s${i}}`);
    }
    const template = join(sandbox.home, "bench.template");
    writeFileSync(template, `${lines.join("\n")}\n`);
    // Worst case for strict: default mode batches these into one request, strict makes ten.
    const fields: Record<string, string> = {};
    const samePathLines: string[] = [];
    for (let i = 0; i < SECRET_COUNT; i++) {
      fields[`k${i}`] = `bench-field-value-${i}-0123456789`;
      samePathLines.push(`FIELD_${i}=\${kms:kv/bench/shared#k${i}}`);
    }
    await seedCredential(server.dir, "generic/bench/shared", fields);
    const samePathTemplate = join(sandbox.home, "same-path.template");
    writeFileSync(samePathTemplate, `${samePathLines.join("\n")}\n`);

    // Strict listener started the way users start it; the bench talks to its socket directly.
    const loaded = await runKpmProcess(["env", "--strict", "--from", template, "--output", "shell"], {
      env: sandbox.env,
      binary,
    });
    if (loaded.code !== 0) throw new Error(`kpm env --strict failed: ${loaded.stderr}`);
    const exported = parseShellExports(loaded.stdout);
    const socket = exported.KPM_DECRYPT_SOCK ?? "";
    const blob = exported.SECRET_0 ?? "";
    const decryptOnce = async (): Promise<void> => {
      const result = await requestDecrypt(socket, blob);
      if (!result.ok) throw new Error(`strict decrypt failed: ${result.error}`);
    };
    for (let i = 0; i < DECRYPT_WARMUP; i++) await decryptOnce();
    const latencies: number[] = [];
    for (let i = 0; i < DECRYPTS; i++) {
      const start = Bun.nanoseconds();
      await decryptOnce();
      latencies.push((Bun.nanoseconds() - start) / 1e6);
    }
    latencies.sort((a, b) => a - b);

    // Interleaved so drift (page cache, CPU frequency) hits both modes alike.
    const timeRun = async (flags: string[], from = template): Promise<number> => {
      const start = Bun.nanoseconds();
      const result = await runKpmProcess(["run", ...flags, "--from", from, "--", "true"], {
        env: sandbox.env,
        binary,
      });
      if (result.code !== 0 || result.stderr !== "") throw new Error(`kpm run failed: ${result.stderr}`);
      return (Bun.nanoseconds() - start) / 1e6;
    };
    const strictRuns: number[] = [];
    const defaultRuns: number[] = [];
    const strictSamePath: number[] = [];
    const defaultSamePath: number[] = [];
    for (let i = 0; i < RUN_WARMUP + RUNS; i++) {
      const strict = await timeRun(["--strict"]);
      const batched = await timeRun([]);
      const strictShared = await timeRun(["--strict"], samePathTemplate);
      const batchedShared = await timeRun([], samePathTemplate);
      if (i < RUN_WARMUP) continue;
      strictRuns.push(strict);
      defaultRuns.push(batched);
      strictSamePath.push(strictShared);
      defaultSamePath.push(batchedShared);
    }
    const strictMedian = median(strictRuns);
    const defaultMedian = median(defaultRuns);

    const listenerNote =
      "listener socket round trip incl. one mTLS GET /credentials/generic (fsync'd audit event) on a kept-alive connection";
    const runNote = `${binary ? "dist/kpm" : "kpm from source"}, ${SECRET_COUNT} secrets on ${SECRET_COUNT} kv paths, median of ${RUNS}`;
    return [
      { name: "strict decrypt p50", value: percentile(latencies, 0.5), unit: "ms", note: listenerNote },
      { name: "strict decrypt p99", value: percentile(latencies, 0.99), unit: "ms", note: listenerNote },
      { name: "kpm run --strict -- true", value: strictMedian, unit: "ms", note: runNote },
      { name: "kpm run -- true (default template mode)", value: defaultMedian, unit: "ms", note: runNote },
      {
        name: "kpm run --strict / default",
        value: strictMedian / defaultMedian,
        unit: "x",
        note: "target ≤ 1.2",
      },
      {
        name: "kpm run --strict / default, 10 fields of one kv path",
        value: median(strictSamePath) / median(defaultSamePath),
        unit: "x",
        note: `strict ${median(strictSamePath).toFixed(1)} ms (10 requests) vs default ${median(defaultSamePath).toFixed(1)} ms (1 request)`,
      },
    ];
  } finally {
    sandbox.cleanup();
    await server.remove();
  }
}

if (import.meta.main) {
  for (const result of await run()) {
    console.log(
      `${result.name}: ${result.value.toFixed(3)} ${result.unit}${result.note ? ` (${result.note})` : ""}`,
    );
  }
}
