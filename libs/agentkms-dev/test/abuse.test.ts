// The dev server under abuse: each attack runs against a real server on an ephemeral port while a
// well-behaved mTLS client keeps asking /healthz, and again with the defence switched off (limit 0)
// to show the attack would otherwise hold its connection.
import { afterAll, afterEach, beforeAll, describe, expect, test } from "bun:test";
import { rmSync } from "node:fs";
import { type ConnectionLimits, DEFAULT_CONNECTION_LIMITS } from "../src/connection-guard.ts";
import { type RunningServer, startDevServer } from "../src/server.ts";
import { closedWithin, KeepAliveClient, type Peer, SocketPool } from "./helpers/attack.ts";
import {
  clientCredentials,
  enrolledDir,
  type Harness,
  rawRequest,
  startHarness,
} from "./helpers/dev-server.ts";

let dir = "";
let h: Harness | null = null;
let bare: RunningServer | null = null;
const pool = new SocketPool();

beforeAll(async () => {
  dir = await enrolledDir("kpm-abuse-");
});
afterEach(async () => {
  pool.closeAll();
  await h?.stop();
  await bare?.close(100);
  h = null;
  bare = null;
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function serve(limits: Partial<ConnectionLimits>): Promise<Harness> {
  h = await startHarness({ dir, limits });
  return h;
}

/** A server without the harness' login, whose pooled fetch connection would count against a total cap. */
async function serveBare(limits: Partial<ConnectionLimits>): Promise<RunningServer> {
  bare = await startDevServer({ dir, host: "127.0.0.1", port: 0, limits });
  return bare;
}

/** /healthz over a fresh mTLS connection each time: the server still accepts and answers. */
async function healthz(server: Harness): Promise<number> {
  return (await rawRequest(server.server.port, server.client.tls, { method: "GET", path: "/healthz" }))
    .status;
}

/** Two /healthz answers while every attacker is still connected. */
async function expectHealthyDuring(server: Harness, attackers: Peer[]): Promise<void> {
  for (let i = 0; i < 2; i++) expect(await healthz(server)).toBe(200);
  for (const attacker of attackers) expect(attacker.isOpen()).toBe(true);
}

function logLines(server: Harness, msg: string, remote: string): string[] {
  return server.logs.filter((line) => line.includes(`msg="${msg}"`) && line.includes(` remote=${remote} `));
}

const SLOW_HEAD = `GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ${"z".repeat(200)}\r\n\r\n`;

describe("dev server under abuse", () => {
  test("the defaults bound every phase of a connection; the handshake timeout is at most 10 s", async () => {
    const server = await serve({});
    expect(server.server.limits).toEqual({ ...DEFAULT_CONNECTION_LIMITS });
    expect(server.server.limits.handshakeTimeoutMs).toBeLessThanOrEqual(10_000);
    expect(server.server.limits).toMatchObject({ headerTimeoutMs: 5_000, requestTimeoutMs: 15_000 });
    for (const value of Object.values(server.server.limits)) expect(value).toBeGreaterThan(0);
  });

  test("TCP peers that never speak TLS are closed after the handshake timeout", async () => {
    const server = await serve({ handshakeTimeoutMs: 600 });
    const silent = await Promise.all([1, 2, 3].map(() => pool.tcp(server.server.port)));
    await expectHealthyDuring(server, silent);
    for (const peer of silent) {
      const closedAt = await closedWithin(peer, 3000);
      expect(closedAt).not.toBeNull();
      expect((closedAt ?? 0) - peer.openedAt).toBeWithin(500, 2000);
    }
    expect(logLines(server, "TLS handshake failed", "127.0.0.1").join("\n")).toContain('"handshake timeout"');
  });

  test("without the handshake timeout a silent TCP peer stays open", async () => {
    const server = await serve({ handshakeTimeoutMs: 0 });
    const silent = await pool.tcp(server.server.port);
    expect(await closedWithin(silent, 1200)).toBeNull();
    await expectHealthyDuring(server, [silent]);
  });

  test("a TLS peer that drips its headers, or sends none, is closed after the header timeout", async () => {
    const server = await serve({ headerTimeoutMs: 500 });
    const dripping = await pool.tls(server.server.port, server.client.tls);
    const quiet = await pool.tls(server.server.port, server.client.tls);
    const drip = pool.drip(dripping, SLOW_HEAD, 1, 40);
    await expectHealthyDuring(server, [dripping, quiet]);
    for (const peer of [dripping, quiet]) {
      const closedAt = await closedWithin(peer, 3000);
      expect(closedAt).not.toBeNull();
      expect((closedAt ?? 0) - peer.openedAt).toBeWithin(400, 1500);
    }
    await drip;
    expect(logLines(server, "request timeout", "127.0.0.1").join("\n")).toContain("headers not received");
  });

  test("without header and read timeouts a dripping TLS peer stays open", async () => {
    const server = await serve({ headerTimeoutMs: 0, requestTimeoutMs: 0 });
    const dripping = await pool.tls(server.server.port, server.client.tls);
    void pool.drip(dripping, SLOW_HEAD, 1, 40);
    expect(await closedWithin(dripping, 1200)).toBeNull();
    await expectHealthyDuring(server, [dripping]);
  });

  async function bodyDrip(server: Harness): Promise<Peer> {
    const peer = await pool.tls(server.server.port, server.client.tls);
    const body = `{"value":"${"d".repeat(180)}"}`;
    peer.socket.write(
      `POST /secrets/drip/slow HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer ${server.client.token}\r\n` +
        `Content-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n`,
    );
    void pool.drip(peer, body, 1, 40);
    return peer;
  }

  test("a TLS peer that drips its body is closed after the read timeout and stores nothing", async () => {
    const server = await serve({ headerTimeoutMs: 300, requestTimeoutMs: 900 });
    const dripping = await bodyDrip(server);
    await expectHealthyDuring(server, [dripping]);
    const closedAt = await closedWithin(dripping, 3000);
    expect(closedAt).not.toBeNull();
    expect((closedAt ?? 0) - dripping.openedAt).toBeWithin(800, 2000);
    expect((await server.client.call("GET", "/secrets/drip/slow")).status).toBe(404);
    expect(logLines(server, "request timeout", "127.0.0.1").join("\n")).toContain("body not received");
    // The cut request is a client fault, not a handler failure.
    await Bun.sleep(50);
    expect(server.logs.join("\n")).toContain('msg="request aborted" method=POST path=/secrets/drip/slow');
    expect(server.logs.join("\n")).not.toContain("handler failed");
  });

  test("without the read timeout a body-dripping TLS peer stays open", async () => {
    const server = await serve({ headerTimeoutMs: 300, requestTimeoutMs: 0 });
    const dripping = await bodyDrip(server);
    expect(await closedWithin(dripping, 1500)).toBeNull();
    await expectHealthyDuring(server, [dripping]);
  });

  test("a 100 KB request line gets 414, and an 8-16 KiB one is refused before any handler runs", async () => {
    const server = await serve({});
    const huge = await rawRequest(server.server.port, server.client.tls, {
      method: "GET",
      path: `/secrets/${"q".repeat(100 * 1024)}`,
    });
    expect(huge.status).toBe(414);
    expect(huge.body).toBe("414 URI Too Long");
    // Below Bun's own 16 KiB header limit node:http would parse it and call the handler.
    const long = await rawRequest(server.server.port, server.client.tls, {
      method: "POST",
      path: `/secrets/long/${"q".repeat(10 * 1024)}`,
      headers: { Authorization: `Bearer ${server.client.token}` },
      body: '{"value":"x"}',
    });
    expect(long.status).toBe(414);
    expect(server.logs.filter((line) => line.includes("path=/secrets/long/"))).toEqual([]);
    expect(await healthz(server)).toBe(200);
  });

  test("without the request-line limit the 10 KiB line reaches the handler and 100 KB gets Bun's 431", async () => {
    const server = await serve({ maxRequestLineBytes: 0 });
    const long = await rawRequest(server.server.port, server.client.tls, {
      method: "POST",
      path: `/secrets/long/${"q".repeat(10 * 1024)}`,
      headers: { Authorization: `Bearer ${server.client.token}` },
      body: '{"value":"x"}',
    });
    expect(long.status).toBe(201);
    const huge = await rawRequest(server.server.port, server.client.tls, {
      method: "GET",
      path: `/secrets/${"q".repeat(100 * 1024)}`,
    });
    expect(huge.status).toBe(431);
  });

  test("an idle keep-alive connection is closed after the idle timeout, not before", async () => {
    const server = await serve({ idleTimeoutMs: 500 });
    const client = await KeepAliveClient.open(pool, server.server.port, server.client.tls);
    const peer = client.peer;
    // Requests spaced below the idle timeout keep one connection alive longer than the timeout.
    let lastAnswer = 0;
    for (let i = 0; i < 3; i++) {
      if (i > 0) await Bun.sleep(300);
      expect(await client.get("/healthz")).toBe(200);
      lastAnswer = performance.now();
    }
    expect(lastAnswer - peer.openedAt).toBeGreaterThan(550);
    const closedAt = await closedWithin(peer, 2000);
    expect(closedAt).not.toBeNull();
    expect((closedAt ?? 0) - lastAnswer).toBeWithin(400, 1500);
  });

  test("without the idle timeout an idle keep-alive connection stays open", async () => {
    const server = await serve({ idleTimeoutMs: 0 });
    const client = await KeepAliveClient.open(pool, server.server.port, server.client.tls);
    expect(await client.get("/healthz")).toBe(200);
    expect(await closedWithin(client.peer, 1000)).toBeNull();
  });

  test("connections beyond the per-address cap are closed at accept; other addresses are served", async () => {
    const server = await serve({ maxConnectionsPerAddress: 3 });
    const held = await Promise.all([1, 2, 3].map(() => pool.tcp(server.server.port, "127.0.0.2")));
    const extra = await pool.tcp(server.server.port, "127.0.0.2");
    expect(await closedWithin(extra, 1000)).not.toBeNull();
    await expectHealthyDuring(server, held);
    // A slot freed by a closing peer is usable again: the count follows closes.
    held[0]?.socket.destroy();
    await held[0]?.closed;
    await Bun.sleep(50);
    const again = await pool.tcp(server.server.port, "127.0.0.2");
    expect(await closedWithin(again, 300)).toBeNull();
    expect(logLines(server, "connection refused", "127.0.0.2").join("\n")).toContain("per-address");
  });

  test("without the per-address cap the extra connection stays open", async () => {
    const server = await serve({ maxConnectionsPerAddress: 0 });
    await Promise.all([1, 2, 3].map(() => pool.tcp(server.server.port, "127.0.0.2")));
    const extra = await pool.tcp(server.server.port, "127.0.0.2");
    expect(await closedWithin(extra, 500)).toBeNull();
  });

  test("connections beyond the total cap are closed; an open keep-alive client keeps its answers", async () => {
    const server = await serveBare({ maxConnections: 4 });
    const client = await KeepAliveClient.open(pool, server.port, clientCredentials(dir));
    const held = await Promise.all(["2", "3", "4"].map((n) => pool.tcp(server.port, `127.0.0.${n}`)));
    const extra = await Promise.all(["5", "1"].map((n) => pool.tcp(server.port, `127.0.0.${n}`)));
    for (const peer of extra) expect(await closedWithin(peer, 1000)).not.toBeNull();
    for (let i = 0; i < 3; i++) expect(await client.get("/healthz")).toBe(200);
    for (const peer of held) expect(peer.isOpen()).toBe(true);
  });

  test("without the total cap the extra connection stays open", async () => {
    const server = await serveBare({ maxConnections: 0 });
    await KeepAliveClient.open(pool, server.port, clientCredentials(dir));
    await Promise.all(["2", "3", "4"].map((n) => pool.tcp(server.port, `127.0.0.${n}`)));
    const extra = await pool.tcp(server.port, "127.0.0.5");
    expect(await closedWithin(extra, 500)).toBeNull();
  });

  async function sendGarbage(server: Harness, times: number): Promise<void> {
    for (let i = 0; i < times; i++) {
      const peer = await pool.tcp(server.server.port, "127.0.0.3");
      peer.socket.write("GET / HTTP/1.1\r\n\r\nnot a TLS ClientHello");
      await closedWithin(peer, 1000);
      if (i % 5 === 0) expect(await healthz(server)).toBe(200);
      await Bun.sleep(40);
    }
  }

  test("handshake garbage is logged at most once per second per address, with a count", async () => {
    const server = await serve({});
    const started = performance.now();
    await sendGarbage(server, 20);
    const elapsed = performance.now() - started;
    await server.server.close(100); // flushes the counts still pending
    const lines = logLines(server, "TLS handshake failed", "127.0.0.3");
    expect(lines.length).toBeGreaterThanOrEqual(2);
    expect(lines.length).toBeLessThanOrEqual(Math.floor(elapsed / 1000) + 2);
    const counts = lines.map((line) => Number(/ count=(\d+)/.exec(line)?.[1]));
    expect(counts[0]).toBe(1);
    expect(counts.reduce((a, b) => a + b, 0)).toBe(20);
  }, 10_000);

  test("without the rate limit every garbage handshake writes its own line", async () => {
    const server = await serve({ failureLogIntervalMs: 0 });
    await sendGarbage(server, 20);
    expect(logLines(server, "TLS handshake failed", "127.0.0.3")).toHaveLength(20);
  }, 10_000);
});
