// Credential broker cost (issue 16: added latency p50 ≤ 1 ms per keep-alive request, ≥ 200 MB/s for
// a large response): a client process fetching from an HTTPS upstream process, directly and
// through the broker's proxy (CONNECT, TLS terminated with the run's leaf, placeholder swapped,
// verified TLS upstream), each printed with its ratio to the direct connection.
// Run alone: bun bench/broker.bench.ts
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { makeRunCertificates, startBroker } from "@kpm/broker";
import type { BenchRow } from "./run.ts";

const HOST = "api.anthropic.com";
const REQUESTS = 2000;
const BYTES = 512 * 1024 * 1024;
const TARGET_LATENCY_MS = 1;
const TARGET_MBPS = 200;

interface ClientResult {
  p50: number;
  mbps: number;
  received: number;
}

async function client(options: Record<string, unknown>): Promise<ClientResult> {
  const child = Bun.spawn(
    [process.execPath, join(import.meta.dir, "broker-peer.ts"), "client", JSON.stringify(options)],
    {
      stdout: "pipe",
      stderr: "inherit",
    },
  );
  const out = await new Response(child.stdout).text();
  if ((await child.exited) !== 0) throw new Error("bench client failed");
  return JSON.parse(out) as ClientResult;
}

export async function run(): Promise<BenchRow[]> {
  const dir = mkdtempSync(join(tmpdir(), "kpm-broker-bench-"));
  const certs = await makeRunCertificates([HOST]);
  writeFileSync(join(dir, "cert.pem"), certs.leafPem);
  writeFileSync(join(dir, "key.pem"), certs.leafKeyPem);
  const upstream = Bun.spawn(
    [
      process.execPath,
      join(import.meta.dir, "broker-peer.ts"),
      "upstream",
      join(dir, "cert.pem"),
      join(dir, "key.pem"),
    ],
    {
      stdout: "pipe",
      stderr: "inherit",
    },
  );
  const broker = { current: undefined as Awaited<ReturnType<typeof startBroker>> | undefined };
  try {
    const reader = (upstream.stdout as ReadableStream<Uint8Array>).getReader();
    const port = Number(new TextDecoder().decode((await reader.read()).value).trim());
    broker.current = await startBroker({
      secrets: [
        { variable: "K", ref: "llm/anthropic", hosts: [HOST], resolve: async () => "bench-real-value" },
      ],
      resolve: { [HOST]: `127.0.0.1:${port}` },
      upstreamCa: certs.caPem,
      tempDir: dir,
      roots: "",
    });
    // Through the broker the request carries the placeholder: every request is a swap, and the
    // response goes through the echo filter, as a tool's would.
    const key = broker.current.placeholders.get("K") as string;
    const common = { host: HOST, requests: REQUESTS, bytes: BYTES, key };
    const direct = await client({
      ...common,
      url: `https://127.0.0.1:${port}`,
      ca: certs.caPem,
      serverName: HOST,
    });
    const runCa = await Bun.file(broker.current.env.SSL_CERT_FILE as string).text();
    const proxied = await client({
      ...common,
      url: `https://${HOST}`,
      proxy: broker.current.env.HTTPS_PROXY,
      ca: runCa,
    });
    const added = proxied.p50 - direct.p50;
    return [
      {
        name: "direct request p50 (keep-alive)",
        value: direct.p50,
        unit: "ms",
        note: `${REQUESTS} requests`,
      },
      {
        name: "via broker request p50",
        value: proxied.p50,
        unit: "ms",
        note: `×${(proxied.p50 / direct.p50).toFixed(2)} of direct`,
      },
      {
        name: "broker added latency p50",
        value: added,
        unit: "ms",
        note: `target ≤ ${TARGET_LATENCY_MS} ms${added > TARGET_LATENCY_MS ? " — OVER TARGET" : ""}`,
      },
      { name: "direct large response", value: direct.mbps, unit: "MB/s", note: `${BYTES / 2 ** 20} MiB` },
      {
        name: "via broker large response",
        value: proxied.mbps,
        unit: "MB/s",
        note: `×${(proxied.mbps / direct.mbps).toFixed(2)} of direct; target ≥ ${TARGET_MBPS} MB/s${proxied.mbps < TARGET_MBPS ? " — UNDER TARGET" : ""}`,
      },
    ];
  } finally {
    await broker.current?.close();
    upstream.kill();
    await upstream.exited;
    rmSync(dir, { recursive: true, force: true });
  }
}

if (import.meta.main) {
  const { formatTable } = await import("./run.ts");
  console.log(formatTable(await run()));
}
