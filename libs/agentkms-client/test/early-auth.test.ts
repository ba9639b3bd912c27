// openClient: the session request leaves at once, the PEM files are proven by the handshake (checked
// with node:crypto only after a failed connection), bad files reject with createClient's exact errors,
// and a bad PEM never reaches the server.
import { afterAll, afterEach, beforeAll, describe, expect, test } from "bun:test";
import { constants } from "node:crypto";
import { mkdirSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { join } from "node:path";
import { AgentKmsError, type ClientConfig, createClient, openClient } from "../src/index.ts";
import { TLS_1_3_ONLY } from "../src/transport.ts";
import { createPki, type Pki } from "./helpers/pki.ts";
import { type Handler, sendJson, sendSession, startTestServer, type TestServer } from "./helpers/server.ts";

let pki: Pki;
let scratch: string;
const servers: TestServer[] = [];

beforeAll(() => {
  pki = createPki();
  scratch = join(pki.dir, "early-scratch");
  mkdirSync(scratch);
});
afterAll(() => pki.remove());
afterEach(async () => {
  await Promise.all(servers.splice(0).map((server) => server.close()));
});

async function serve(handler: Handler): Promise<TestServer> {
  const server = await startTestServer({
    cert: pki.serverCert,
    key: pki.serverKey,
    clientCa: pki.caCert,
    handler,
  });
  servers.push(server);
  return server;
}

const answerSecrets: Handler = (request, response) => {
  if (request.method === "POST" && request.url === "/auth/session") return sendSession(response);
  return sendJson(response, 200, { secrets: { value: "v1" } });
};

function configFor(server: { url: string }, overrides: Partial<ClientConfig> = {}): ClientConfig {
  return { server: server.url, cert: pki.clientCert, key: pki.clientKey, ca: pki.caCert, ...overrides };
}

function file(name: string, content: string): string {
  const path = join(scratch, name);
  writeFileSync(path, content);
  return path;
}

function constructionMessage(config: ClientConfig): string {
  try {
    createClient(config).close();
  } catch (error) {
    if (error instanceof AgentKmsError) return `${error.code}: ${error.message}`;
    throw error;
  }
  throw new Error("expected createClient to fail");
}

async function openingMessage(config: ClientConfig): Promise<string> {
  try {
    (await openClient(config)).close();
  } catch (error) {
    if (error instanceof AgentKmsError) return `${error.code}: ${error.message}`;
    throw error;
  }
  throw new Error("expected openClient to fail");
}

/** A loopback port nothing listens on. */
async function closedPort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, "127.0.0.1", resolve));
  const address = probe.address();
  const port = typeof address === "object" && address !== null ? address.port : 0;
  await new Promise((resolve) => probe.close(resolve));
  return port;
}

test("the TLS 1.3-only mask is node:crypto's SSL_OP_NO_TLSv1 | _1_1 | _1_2", () => {
  expect(TLS_1_3_ONLY).toBe(
    constants.SSL_OP_NO_TLSv1 | constants.SSL_OP_NO_TLSv1_1 | constants.SSL_OP_NO_TLSv1_2,
  );
});

describe("openClient", () => {
  test("the session request has been answered when openClient resolves, before any call", async () => {
    const server = await serve(answerSecrets);
    const client = await openClient(configFor(server));
    expect(server.requests.map((request) => `${request.method} ${request.url}`)).toEqual([
      "POST /auth/session",
    ]);
    client.close();
  });

  test("the first call joins the early session: one authentication, then the bearer token", async () => {
    const server = await serve(answerSecrets);
    const client = await openClient(configFor(server));
    expect(await client.fetchGeneric("svc/a")).toEqual({ value: "v1" });
    expect(await client.fetchGeneric("svc/b")).toEqual({ value: "v1" });
    expect(server.requests.map((request) => request.url)).toEqual([
      "/auth/session",
      "/credentials/generic/svc/a",
      "/credentials/generic/svc/b",
    ]);
    expect(server.requests[1]?.headers.authorization).toBe("Bearer test-token");
    client.close();
  });

  test("createClient sends nothing until the first call", async () => {
    const server = await serve(answerSecrets);
    const client = createClient(configFor(server));
    // A request of its own proves the server is reachable and that nothing came before it.
    expect(await client.healthz()).toBe(true);
    expect(server.requests.map((request) => request.url)).toEqual(["/healthz"]);
    client.close();
  });

  test("a failed early authentication is the first call's error, and is not retried behind its back", async () => {
    const server = await serve((request, response) => {
      if (request.url === "/auth/session")
        return sendJson(response, 403, { error: "denied", code: "policy_denied" });
      return sendJson(response, 200, { secrets: { value: "v1" } });
    });
    const early = await openClient(configFor(server));
    expect(server.requests).toHaveLength(1);
    const lazy = createClient(configFor(server));
    const messages: string[] = [];
    for (const client of [early, lazy]) {
      try {
        await client.fetchGeneric("svc/a");
      } catch (error) {
        messages.push((error as Error).message);
      }
      client.close();
    }
    expect(messages).toHaveLength(2);
    expect(messages[0]).toBe(messages[1] ?? "");
    expect(server.requests.filter((request) => request.url === "/auth/session")).toHaveLength(2);
  });

  test("a CA file with a broken block: the session is rebuilt on the good block and still authenticates once", async () => {
    const server = await serve(answerSecrets);
    const good = await Bun.file(pki.caCert).text();
    const ca = file("mixed-ca.crt", `-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n${good}`);
    const client = await openClient(configFor(server, { ca }));
    expect(await client.fetchGeneric("svc/a")).toEqual({ value: "v1" });
    expect(server.requests.map((request) => request.url)).toEqual([
      "/auth/session",
      "/credentials/generic/svc/a",
    ]);
    client.close();
  });

  const faults: Array<[string, () => Partial<ClientConfig>]> = [
    ["a CA file without certificates", () => ({ ca: file("junk-ca.crt", "not a certificate\n") })],
    ["a cert file without PEM data", () => ({ cert: file("junk.crt", "nothing here") })],
    [
      "a malformed certificate",
      () => ({ cert: file("bad.crt", "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n") }),
    ],
    ["a key file without PEM data", () => ({ key: file("junk.key", "nothing here") })],
    [
      "a key that does not parse",
      () => ({ key: file("bad.key", "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n") }),
    ],
    ["another certificate's key", () => ({ key: pki.foreignClientKey })],
    ["a missing key file", () => ({ key: join(scratch, "absent.key") })],
  ];
  for (const [name, fault] of faults) {
    test(`${name}: openClient rejects with createClient's error, and the server sees no request`, async () => {
      const server = await serve(answerSecrets);
      const overrides = fault();
      const opened = await openingMessage(configFor(server, overrides));
      expect(opened).toBe(constructionMessage(configFor(server, overrides)));
      expect(opened).toStartWith("config: TLS config: ");
      // A good client's request arrives; had the early one left, it would be recorded too.
      const good = createClient(configFor(server));
      expect(await good.healthz()).toBe(true);
      good.close();
      expect(server.requests.map((request) => request.url)).toEqual(["/healthz"]);
    });
  }

  test("server down, good files: openClient resolves and the first call reports the refused connection", async () => {
    const url = `https://127.0.0.1:${await closedPort()}`;
    const client = await openClient(configFor({ url }));
    let message = "";
    try {
      await client.fetchGeneric("svc/a");
    } catch (error) {
      message = (error as Error).message;
    }
    client.close();
    expect(message).toBe(`authenticate: connection refused (${url}) — is AgentKMS running?`);
  });

  test("server down, bad key: the file is named, not the refused connection", async () => {
    const url = `https://127.0.0.1:${await closedPort()}`;
    const key = file("down.key", "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n");
    expect(await openingMessage(configFor({ url }, { key }))).toBe(
      "config: TLS config: tlsutil: parse client key pair: tls: failed to parse private key",
    );
  });
});
