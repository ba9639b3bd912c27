// Dev server read path: GET /secrets/<p> over real mTLS with 100 and 10,000 stored secrets, on one
// keep-alive connection and with 16 concurrent clients, against a floor: the same node:tls → node:http
// transport whose handler only appends and fsyncs one audit line. Run alone: bun bench/dev-server.bench.ts
import { closeSync, fsyncSync, mkdtempSync, openSync, readFileSync, rmSync, writeSync } from "node:fs";
import { createServer as createHttpServer } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createServer as createTlsServer, type TLSSocket } from "node:tls";
import { enroll, SecretStore, startDevServer } from "@kpm/agentkms-dev";
import type { BenchRow } from "./run.ts";

const WARMUP = 200;
const SEQUENTIAL = 1500;
const CONCURRENCY = 16;
const CONCURRENT_TOTAL = 4000;

interface Target {
  port: number;
  close(): Promise<void>;
}

interface Measurement {
  p50: number;
  p99: number;
  perSecond: number;
}

function percentile(sorted: number[], fraction: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * fraction))] ?? Number.NaN;
}

async function measure(
  port: number,
  tls: { cert: string; key: string; ca: string },
  headers: Record<string, string>,
  path: string,
  clients: number,
  total: number,
): Promise<Measurement> {
  const url = `https://127.0.0.1:${port}${path}`;
  const once = async (): Promise<number> => {
    const started = performance.now();
    const response = await fetch(url, { headers, tls });
    await response.arrayBuffer();
    if (response.status !== 200) throw new Error(`GET ${path}: ${response.status}`);
    return performance.now() - started;
  };
  for (let i = 0; i < WARMUP; i++) await once();
  const latencies: number[] = [];
  const perClient = Math.ceil(total / clients);
  const started = performance.now();
  await Promise.all(
    Array.from({ length: clients }, async () => {
      for (let i = 0; i < perClient; i++) latencies.push(await once());
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  latencies.sort((a, b) => a - b);
  return {
    p50: percentile(latencies, 0.5),
    p99: percentile(latencies, 0.99),
    perSecond: latencies.length / seconds,
  };
}

/** The floor: identical transport, a handler that appends + fsyncs one line and answers a fixed body. */
async function startFloor(dir: string): Promise<Target> {
  const fd = openSync(join(dir, "floor.ndjson"), "a", 0o600);
  const http = createHttpServer({ keepAlive: true }, (req, res) => {
    const cert = (req.socket as TLSSocket).getPeerCertificate(true);
    writeSync(fd, `{"operation":"credential_vend","fp_bytes":${cert.raw?.length ?? 0}}\n`);
    fsyncSync(fd);
    const body = '{"value":"x"}\n';
    res.writeHead(200, { "Content-Type": "application/json", "Content-Length": String(body.length) });
    res.end(body);
  });
  const read = (name: string) => readFileSync(join(dir, name), "utf8");
  const tls = createTlsServer(
    {
      key: read("server.key"),
      cert: read("server.crt"),
      ca: read("ca.crt"),
      requestCert: true,
      rejectUnauthorized: true,
      minVersion: "TLSv1.3",
    },
    (socket) => http.emit("connection", socket),
  );
  const sockets = new Set<TLSSocket>();
  tls.on("secureConnection", (socket: TLSSocket) => {
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => tls.listen(0, "127.0.0.1", resolve));
  const address = tls.address();
  return {
    port: typeof address === "object" && address ? address.port : 0,
    close: async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => tls.close(() => resolve()));
      closeSync(fd);
    },
  };
}

async function seed(dir: string, count: number): Promise<void> {
  await new SecretStore(dir).update((kv) => {
    kv.clear();
    const stamp = "2026-11-28T20:00:00Z";
    for (let i = 0; i < count; i++) {
      const path = `svc${i % 97}/secret-${i}`;
      kv.set(`kv/data/secrets/${path}`, { value: `value-${i}-${"x".repeat(32)}` });
      kv.set(`kv/data/metadata/${path}`, {
        meta_version: "1",
        meta_created: stamp,
        meta_updated: stamp,
        meta_description: "",
        meta_tags: "",
        meta_type: "generic",
        meta_expires: "",
        meta_deleted: "",
        meta_versions_history: "",
      });
    }
  });
}

function rows(label: string, one: Measurement, many: Measurement): BenchRow[] {
  return [
    { name: `${label} p50 (1 conn)`, value: one.p50, unit: "ms" },
    { name: `${label} p99 (1 conn)`, value: one.p99, unit: "ms" },
    { name: `${label} req/s (1 conn)`, value: one.perSecond, unit: "req/s" },
    { name: `${label} p50 (${CONCURRENCY} conc)`, value: many.p50, unit: "ms" },
    { name: `${label} p99 (${CONCURRENCY} conc)`, value: many.p99, unit: "ms" },
    { name: `${label} req/s (${CONCURRENCY} conc)`, value: many.perSecond, unit: "req/s" },
  ];
}

export async function run(): Promise<BenchRow[]> {
  const dir = mkdtempSync(join(tmpdir(), "kpmb-dev-"));
  const results: BenchRow[] = [];
  try {
    await enroll(dir, {});
    const clientDir = join(dir, "clients", "forge-gateway");
    const tls = {
      cert: readFileSync(join(clientDir, "client.crt"), "utf8"),
      key: readFileSync(join(clientDir, "client.key"), "utf8"),
      ca: readFileSync(join(clientDir, "ca.crt"), "utf8"),
    };

    const floor = await startFloor(dir);
    const floorOne = await measure(floor.port, tls, {}, "/", 1, SEQUENTIAL);
    const floorMany = await measure(floor.port, tls, {}, "/", CONCURRENCY, CONCURRENT_TOTAL);
    await floor.close();
    results.push(...rows("floor (mTLS + audit fsync)", floorOne, floorMany));

    for (const count of [100, 10_000]) {
      await seed(dir, count);
      const server = await startDevServer({ dir, host: "127.0.0.1", port: 0 });
      try {
        const session = await fetch(`https://127.0.0.1:${server.port}/auth/session`, { method: "POST", tls });
        const { token } = (await session.json()) as { token: string };
        const headers = { Authorization: `Bearer ${token}` };
        const path = `/secrets/svc${(count - 1) % 97}/secret-${count - 1}`;
        const one = await measure(server.port, tls, headers, path, 1, SEQUENTIAL);
        const many = await measure(server.port, tls, headers, path, CONCURRENCY, CONCURRENT_TOTAL);
        const label = `dev GET /secrets (${count} stored)`;
        results.push(...rows(label, one, many));
        results.push(
          { name: `${label} p50 / floor (1 conn)`, value: one.p50 / floorOne.p50, unit: "x" },
          {
            name: `${label} req/s / floor (${CONCURRENCY} conc)`,
            value: many.perSecond / floorMany.perSecond,
            unit: "x",
          },
        );
      } finally {
        await server.close(1000);
      }
    }
    return results;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

if (import.meta.main) {
  for (const result of await run()) {
    console.log(
      `${result.name}: ${result.value.toFixed(3)} ${result.unit}${result.note ? ` (${result.note})` : ""}`,
    );
  }
}
