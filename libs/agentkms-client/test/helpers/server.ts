// A small mTLS test server (node:tls handing sockets to node:http, as the dev server does) whose
// behaviour each test scripts, and which counts what the client did: connections, requests, concurrency.
import { afterAll, beforeAll } from "bun:test";
import { readFileSync } from "node:fs";
import { createServer as createHttpServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { createServer as createTlsServer, type SecureVersion, type TLSSocket } from "node:tls";
import { type AgentKmsClient, createClient } from "../../src/index.ts";
import { createPki, type Pki } from "./pki.ts";

export interface RecordedRequest {
  method: string;
  url: string;
  headers: IncomingMessage["headers"];
  body: string;
}

export type Handler = (request: RecordedRequest, response: ServerResponse) => void | Promise<void>;

export interface TestServerOptions {
  cert: string;
  key: string;
  /** CA that client certificates must chain to; omit to not ask for one. */
  clientCa?: string;
  minVersion?: SecureVersion;
  maxVersion?: SecureVersion;
  handler: Handler;
}

export interface TestServer {
  url: string;
  port: number;
  requests: RecordedRequest[];
  tlsConnections: number;
  inFlight: number;
  maxInFlight: number;
  close(): Promise<void>;
}

export function sendJson(response: ServerResponse, status: number, body: unknown): void {
  response.writeHead(status, { "content-type": "application/json" });
  response.end(`${JSON.stringify(body)}\n`);
}

export function sendText(response: ServerResponse, status: number, body: string, headers = {}): void {
  response.writeHead(status, { "content-type": "text/plain; charset=utf-8", ...headers });
  response.end(body);
}

/** The default session answer; tests count POST /auth/session in `requests`. */
export function sendSession(response: ServerResponse, token = "test-token"): void {
  sendJson(response, 200, { token, token_type: "Bearer", expires_in: 900, session_id: "s-1" });
}

export async function startTestServer(options: TestServerOptions): Promise<TestServer> {
  const sockets = new Set<TLSSocket>();
  const state: TestServer = {
    url: "",
    port: 0,
    requests: [],
    tlsConnections: 0,
    inFlight: 0,
    maxInFlight: 0,
    close: async () => {},
  };
  const http = createHttpServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const recorded: RecordedRequest = {
      method: req.method ?? "",
      url: req.url ?? "",
      headers: req.headers,
      body: Buffer.concat(chunks).toString("utf8"),
    };
    state.requests.push(recorded);
    state.inFlight += 1;
    state.maxInFlight = Math.max(state.maxInFlight, state.inFlight);
    res.on("close", () => {
      state.inFlight -= 1;
    });
    await options.handler(recorded, res);
  });
  const tls = createTlsServer(
    {
      cert: readFileSync(options.cert),
      key: readFileSync(options.key),
      ca: options.clientCa ? readFileSync(options.clientCa) : undefined,
      requestCert: options.clientCa !== undefined,
      rejectUnauthorized: options.clientCa !== undefined,
      minVersion: options.minVersion ?? "TLSv1.2",
      maxVersion: options.maxVersion ?? "TLSv1.3",
    },
    (socket) => {
      state.tlsConnections += 1;
      sockets.add(socket);
      socket.on("close", () => sockets.delete(socket));
      http.emit("connection", socket);
    },
  );
  // Handshake failures are the point of some tests; keep them from becoming unhandled errors.
  tls.on("tlsClientError", () => {});
  await new Promise<void>((resolve) => tls.listen(0, "127.0.0.1", resolve));
  const port = (tls.address() as AddressInfo).port;
  state.port = port;
  state.url = `https://127.0.0.1:${port}`;
  state.close = () =>
    new Promise<void>((resolve) => {
      for (const socket of sockets) socket.destroy();
      tls.close(() => resolve());
    });
  return state;
}

/**
 * A test server answering with `handler` and a client of it with fresh PKI, started before the
 * file's tests and closed after them (the fields are set once beforeAll has run).
 */
export function clientFixture(handler: Handler): { server: TestServer; client: AgentKmsClient } {
  const fixture = {} as { server: TestServer; client: AgentKmsClient };
  let pki: Pki;
  beforeAll(async () => {
    pki = createPki();
    fixture.server = await startTestServer({
      cert: pki.serverCert,
      key: pki.serverKey,
      clientCa: pki.caCert,
      handler,
    });
    fixture.client = createClient({
      server: fixture.server.url,
      cert: pki.clientCert,
      key: pki.clientKey,
      ca: pki.caCert,
    });
  });
  afterAll(async () => {
    fixture.client.close();
    await fixture.server.close();
    pki.remove();
  });
  return fixture;
}
