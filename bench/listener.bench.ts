// Decrypt round trips through a real default-mode listener process: latency percentiles and
// throughput, sequential and with 32 concurrent clients. Run alone: bun bench/listener.bench.ts
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { launchListener, requestDecrypt, resolveRuntimeDir, stopListener } from "@kpm/session";
import { encryptValue, generateSessionId, generateSessionKey } from "@kpm/strict-codec";
import type { BenchRow } from "./run.ts";

const LISTEN_ENTRY = join(import.meta.dir, "../libs/session/test/helpers/listen-entry.ts");
const WARMUP = 300;
const SEQUENTIAL = 5000;
const CONCURRENT_CLIENTS = 32;
const CONCURRENT_TOTAL = 20_000;

function percentile(sorted: number[], fraction: number): number {
  const index = Math.min(sorted.length - 1, Math.floor(sorted.length * fraction));
  return sorted[index] ?? Number.NaN;
}

export async function run(): Promise<BenchRow[]> {
  const base = mkdtempSync(join(tmpdir(), "kpmb-"));
  // The listener resolves its runtime directory from the same environment.
  const env = { HOME: base, TMPDIR: base, PATH: process.env.PATH };
  const runtimeDir = resolveRuntimeDir(env, process.getuid?.() ?? 0);
  const key = generateSessionKey();
  const sessionId = generateSessionId();
  const blob = encryptValue(key, sessionId, "a-typical-api-key-value-0123456789abcdef");
  const { socket } = await launchListener({
    command: [process.execPath, "--no-env-file", "--config=/dev/null", LISTEN_ENTRY],
    runtimeDir,
    env,
    start: { mode: "default", sessionId, ttlSeconds: 600, sessionKey: key.slice() },
  });
  try {
    const decryptOnce = async (): Promise<void> => {
      const result = await requestDecrypt(socket, blob);
      if (!result.ok) throw new Error(`decrypt failed: ${result.error}`);
    };
    for (let i = 0; i < WARMUP; i++) await decryptOnce();

    const latencies: number[] = [];
    const sequentialStart = Bun.nanoseconds();
    for (let i = 0; i < SEQUENTIAL; i++) {
      const start = Bun.nanoseconds();
      await decryptOnce();
      latencies.push((Bun.nanoseconds() - start) / 1e6);
    }
    const sequentialSeconds = (Bun.nanoseconds() - sequentialStart) / 1e9;
    latencies.sort((a, b) => a - b);

    let remaining = CONCURRENT_TOTAL;
    const client = async (): Promise<void> => {
      while (remaining > 0) {
        remaining--;
        await decryptOnce();
      }
    };
    const concurrentStart = Bun.nanoseconds();
    await Promise.all(Array.from({ length: CONCURRENT_CLIENTS }, client));
    const concurrentSeconds = (Bun.nanoseconds() - concurrentStart) / 1e9;

    const note = "connect + request + response + close over a Unix socket, listener in its own process";
    return [
      { name: "listener decrypt p50", value: percentile(latencies, 0.5), unit: "ms", note },
      { name: "listener decrypt p99", value: percentile(latencies, 0.99), unit: "ms", note },
      { name: "listener decrypts/s (sequential)", value: SEQUENTIAL / sequentialSeconds, unit: "ops/s" },
      {
        name: `listener decrypts/s (${CONCURRENT_CLIENTS} concurrent)`,
        value: CONCURRENT_TOTAL / concurrentSeconds,
        unit: "ops/s",
      },
    ];
  } finally {
    await stopListener(runtimeDir, sessionId, socket);
    key.fill(0);
    rmSync(base, { recursive: true, force: true });
  }
}

if (import.meta.main) {
  for (const result of await run()) {
    console.log(
      `${result.name}: ${result.value.toFixed(3)} ${result.unit}${result.note ? ` (${result.note})` : ""}`,
    );
  }
}
