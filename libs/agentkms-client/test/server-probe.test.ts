// probeServer (`kpm doctor`'s server checks) against real mTLS test servers: each layer's failure
// stops the probe at that layer with its own reason, and the clock skew comes from the Date header.
import { afterAll, afterEach, beforeAll, describe, expect, test } from "bun:test";
import { createServer, type Server, type Socket } from "node:net";
import { type ProbeConfig, probeServer } from "../src/diagnose-index.ts";
import { AgentKmsError } from "../src/index.ts";
import { createPki, type Pki } from "./helpers/pki.ts";
import { type Handler, sendJson, sendSession, startTestServer, type TestServer } from "./helpers/server.ts";

let pki: Pki;
const servers: TestServer[] = [];
const rawServers: Server[] = [];

beforeAll(() => {
  pki = createPki();
});
afterAll(() => pki.remove());
afterEach(async () => {
  await Promise.all(servers.splice(0).map((server) => server.close()));
  await Promise.all(
    rawServers.splice(0).map((server) => new Promise<void>((resolve) => server.close(() => resolve()))),
  );
});

/** An AgentKMS-shaped server: healthz and a session, plus whatever `extra` answers first. */
async function serve(handler?: Handler, options: { clientCa?: string; cert?: string; key?: string } = {}) {
  const server = await startTestServer({
    cert: options.cert ?? pki.serverCert,
    key: options.key ?? pki.serverKey,
    clientCa: options.clientCa ?? pki.caCert,
    minVersion: "TLSv1.3",
    handler:
      handler ??
      ((request, response) => {
        if (request.url === "/healthz") return sendJson(response, 200, { status: "ok" });
        return sendSession(response, "probe-token-marker");
      }),
  });
  servers.push(server);
  return server;
}

function configFor(url: string, overrides: Partial<ProbeConfig> = {}): ProbeConfig {
  return { server: url, cert: pki.clientCert, key: pki.clientKey, ca: pki.caCert, ...overrides };
}

async function closedPort(): Promise<number> {
  const probe: Server = createServer();
  await new Promise<void>((resolve) => probe.listen(0, "127.0.0.1", resolve));
  const address = probe.address();
  const port = typeof address === "object" && address !== null ? address.port : 0;
  await new Promise<void>((resolve) => probe.close(() => resolve()));
  return port;
}

describe("probeServer", () => {
  test("a healthy server: every step ok, clocks agree, the token is not kept", async () => {
    const server = await serve();
    const probe = await probeServer(configFor(server.url));
    expect(probe.reach).toEqual({ ok: true });
    expect(probe.tls).toEqual({ ok: true });
    expect(probe.auth).toEqual({ ok: true });
    expect(Math.abs(probe.clockSkewSeconds ?? 99)).toBeLessThanOrEqual(1);
    expect(JSON.stringify(probe)).not.toContain("probe-token-marker");
    expect(server.requests.map((request) => `${request.method} ${request.url}`)).toEqual([
      "GET /healthz",
      "POST /auth/session",
    ]);
    expect(server.requests[0]?.headers["user-agent"]).toBe("kpm/unknown");
  });

  test("a server clock two minutes ahead reads as +120 s (and behind as negative)", async () => {
    let offset = 120_000;
    const server = await serve((request, response) => {
      response.setHeader("date", new Date(Date.now() + offset).toUTCString());
      if (request.url === "/healthz") return sendJson(response, 200, { status: "ok" });
      return sendSession(response);
    });
    const ahead = await probeServer(configFor(server.url, { userAgent: "kpm/test" }));
    expect(Math.abs((ahead.clockSkewSeconds ?? 0) - 120)).toBeLessThanOrEqual(1);
    offset = -300_000;
    const behind = await probeServer(configFor(server.url));
    expect(Math.abs((behind.clockSkewSeconds ?? 0) + 300)).toBeLessThanOrEqual(1);
    expect(server.requests[0]?.headers["user-agent"]).toBe("kpm/test");
  });

  test("no Date header: no skew, the other steps still pass", async () => {
    const server = await serve((request, response) => {
      response.sendDate = false;
      if (request.url === "/healthz") return sendJson(response, 200, { status: "ok" });
      return sendSession(response);
    });
    const probe = await probeServer(configFor(server.url));
    expect(probe).toEqual({ reach: { ok: true }, tls: { ok: true }, auth: { ok: true } });
  });

  test("nothing listening: connection refused, no TLS step", async () => {
    const probe = await probeServer(configFor(`https://127.0.0.1:${await closedPort()}`));
    expect(probe).toEqual({ reach: { ok: false, reason: "connection refused", cause: "refused" } });
  });

  test("an unknown host cannot be resolved", async () => {
    const probe = await probeServer(configFor("https://doctor-probe.invalid:8443"));
    expect(probe).toEqual({
      reach: { ok: false, reason: "cannot resolve host doctor-probe.invalid", cause: "unresolved" },
    });
  });

  test("a server certificate of another CA fails the TLS step, and auth is not tried", async () => {
    const server = await serve(undefined, { cert: pki.foreignServerCert, key: pki.foreignServerKey });
    const probe = await probeServer(configFor(server.url));
    expect(probe).toEqual({
      reach: { ok: true },
      tls: {
        ok: false,
        reason: `server certificate is not signed by the configured CA (${pki.caCert})`,
        cause: "untrusted-server",
      },
    });
    expect(server.requests).toEqual([]);
  });

  test("a client certificate the server refuses fails the TLS step", async () => {
    const server = await serve(undefined, { clientCa: pki.foreignCaCert });
    const probe = await probeServer(configFor(server.url));
    expect(probe.tls).toEqual({
      ok: false,
      reason: "TLS handshake failed (client certificate rejected, TLS version < 1.3, or not a TLS port)",
      cause: "handshake",
    });
    expect(probe.auth).toBeUndefined();
  });

  test("a port that accepts but never answers times out in the TLS step", async () => {
    const silent = createServer((socket: Socket) => socket.on("error", () => {}));
    rawServers.push(silent);
    await new Promise<void>((resolve) => silent.listen(0, "127.0.0.1", resolve));
    const address = silent.address();
    const port = typeof address === "object" && address !== null ? address.port : 0;
    const probe = await probeServer(configFor(`https://127.0.0.1:${port}`, { timeoutMs: 300 }));
    expect(probe).toEqual({
      reach: { ok: true },
      tls: { ok: false, reason: "timed out after 0.3s", cause: "timeout" },
    });
  });

  test("auth refusals and odd session answers fail the auth step with their reason", async () => {
    const answers: Array<[number, string]> = [
      [401, '{"error":"no client certificate","code":"unauthorized"}'],
      [500, ""],
      [200, "not json"],
      [200, '{"token":""}'],
    ];
    let answer = answers[0] as [number, string];
    const server = await serve((request, response) => {
      if (request.url === "/healthz") return sendJson(response, 200, { status: "ok" });
      response.writeHead(answer[0], { "content-type": "application/json" });
      response.end(answer[1]);
    });
    const reasons: string[] = [];
    for (const next of answers) {
      answer = next;
      const probe = await probeServer(configFor(server.url));
      expect(probe.tls).toEqual({ ok: true });
      reasons.push(
        probe.auth?.ok === false
          ? `${probe.auth.cause} ${probe.auth.status ?? "-"} ${probe.auth.reason}`
          : "ok",
      );
    }
    expect(reasons).toEqual([
      "http 401 authenticate: no client certificate (unauthorized)",
      "http 500 authenticate: server error (500) — check server logs",
      "decode - authenticate: decode response: invalid JSON",
      "decode - authenticate: decode response: no token in the answer",
    ]);
  });

  test("a server that hangs up on the session request fails the auth step", async () => {
    const server = await serve((request, response) => {
      if (request.url === "/healthz") return sendJson(response, 200, { status: "ok" });
      response.socket?.destroy();
    });
    const probe = await probeServer(configFor(server.url));
    expect(probe.tls).toEqual({ ok: true });
    expect(probe.auth).toMatchObject({ ok: false, cause: "other" });
  });

  test("a URL that is not https, or PEM files that do not load, are config errors", async () => {
    for (const server of ["http://127.0.0.1:1", "https://"]) {
      const error = await probeServer(configFor(server)).catch((caught: unknown) => caught);
      expect(error).toBeInstanceOf(AgentKmsError);
      expect((error as AgentKmsError).code).toBe("config");
    }
    const missing = await probeServer(configFor("https://127.0.0.1:1", { key: `${pki.dir}/none.key` })).catch(
      (caught: unknown) => caught,
    );
    expect((missing as AgentKmsError).message).toBe(
      `TLS config: read key ${pki.dir}/none.key: no such file or directory`,
    );
  });
});
