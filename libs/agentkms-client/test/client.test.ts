import { afterAll, afterEach, beforeAll, describe, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { createServer, type Server } from "node:net";
import {
  AgentKmsError,
  type ClientConfig,
  createClient,
  defaultMaxInFlight,
  MAX_IN_FLIGHT,
} from "../src/index.ts";
import { createPki, type Pki } from "./helpers/pki.ts";
import {
  type Handler,
  type RecordedRequest,
  sendJson,
  sendSession,
  sendText,
  startTestServer,
  type TestServer,
  type TestServerOptions,
} from "./helpers/server.ts";

let pki: Pki;
const servers: TestServer[] = [];

beforeAll(() => {
  pki = createPki();
});
afterAll(() => pki.remove());
afterEach(async () => {
  await Promise.all(servers.splice(0).map((server) => server.close()));
});

async function serve(handler: Handler, options: Partial<TestServerOptions> = {}): Promise<TestServer> {
  const server = await startTestServer({
    cert: pki.serverCert,
    key: pki.serverKey,
    clientCa: pki.caCert,
    handler,
    ...options,
  });
  servers.push(server);
  return server;
}

function configFor(server: { url: string }, overrides: Partial<ClientConfig> = {}): ClientConfig {
  return { server: server.url, cert: pki.clientCert, key: pki.clientKey, ca: pki.caCert, ...overrides };
}

/** Session on POST /auth/session, then the given API handler. */
function withSession(api: Handler): Handler {
  return (request, response) => {
    if (request.method === "POST" && request.url === "/auth/session") return sendSession(response);
    return api(request, response);
  };
}

async function failure(promise: Promise<unknown>): Promise<AgentKmsError> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof AgentKmsError) return error;
    throw error;
  }
  throw new Error("expected the call to fail");
}

function apiRequests(server: TestServer): RecordedRequest[] {
  return server.requests.filter((request) => request.url !== "/auth/session");
}

function sessionRequests(server: TestServer): RecordedRequest[] {
  return server.requests.filter((request) => request.url === "/auth/session");
}

async function closedPort(): Promise<number> {
  const probe: Server = createServer();
  await new Promise<void>((resolve) => probe.listen(0, "127.0.0.1", resolve));
  const address = probe.address();
  const port = typeof address === "object" && address !== null ? address.port : 0;
  await new Promise((resolve) => probe.close(resolve));
  return port;
}

describe("requests", () => {
  test("authenticates lazily with a bare POST /auth/session, then sends the bearer token", async () => {
    const server = await serve(
      withSession((_request, response) => sendJson(response, 200, { secrets: { a: "1" } })),
    );
    const client = createClient(configFor(server, { userAgent: "kpm/9.9.9" }));
    expect(server.requests).toHaveLength(0);
    expect(await client.fetchGeneric("db/prod")).toEqual({ a: "1" });
    const [session, api] = server.requests;
    expect(session?.method).toBe("POST");
    expect(session?.url).toBe("/auth/session");
    expect(session?.body).toBe("");
    expect(session?.headers.authorization).toBeUndefined();
    expect(session?.headers["content-type"]).toBeUndefined();
    expect(session?.headers["user-agent"]).toBe("kpm/9.9.9");
    expect(api?.method).toBe("GET");
    expect(api?.url).toBe("/credentials/generic/db/prod");
    expect(api?.headers.authorization).toBe("Bearer test-token");
    expect(api?.headers["content-type"]).toBeUndefined();
    client.close();
  });

  test("a write posts the fields as JSON with Content-Type and returns the metadata", async () => {
    const server = await serve(
      withSession((_request, response) =>
        sendJson(response, 201, {
          path: "cloudflare/dns-token",
          service: "cloudflare",
          name: "dns-token",
          version: 1,
        }),
      ),
    );
    const client = createClient(configFor(server));
    const written = await client.writeSecret("cloudflare/dns-token", { value: "v1" });
    expect(written).toEqual({
      path: "cloudflare/dns-token",
      service: "cloudflare",
      name: "dns-token",
      version: 1,
    });
    const [write] = apiRequests(server);
    expect(write?.method).toBe("POST");
    expect(write?.url).toBe("/secrets/cloudflare/dns-token");
    expect(write?.headers["content-type"]).toBe("application/json");
    expect(JSON.parse(write?.body ?? "")).toEqual({ value: "v1" });
  });

  test("the default User-Agent names kpm", async () => {
    const server = await serve(withSession((_request, response) => sendJson(response, 200, { secrets: [] })));
    const client = createClient(configFor(server));
    await client.listMetadata();
    expect(server.requests[0]?.headers["user-agent"]).toStartWith("kpm/");
  });

  test("path segments are percent-encoded so # and ? stay in the path", async () => {
    const server = await serve(withSession((_request, response) => sendJson(response, 200, { value: "x" })));
    const client = createClient(configFor(server));
    await client.fetchRegistrySecret("a b/c#d?e%f");
    expect(apiRequests(server)[0]?.url).toBe("/secrets/a%20b/c%23d%3Fe%25f");
  });

  test("an invalid path is rejected before anything is sent", async () => {
    const server = await serve(withSession((_request, response) => sendJson(response, 200, {})));
    const client = createClient(configFor(server));
    const error = await failure(client.writeSecret("a//b", { value: "x" }));
    expect(error.code).toBe("invalid_path");
    expect(error.message).toBe('invalid path "a//b": empty segment');
    expect((await failure(client.fetchLLM("../x"))).message).toBe('invalid path "../x": ".." segment');
    expect(server.requests).toHaveLength(0);
  });

  test("an llm provider travels as one segment", async () => {
    const server = await serve(
      withSession((_request, response) => sendJson(response, 200, { provider: "a/b" })),
    );
    const client = createClient(configFor(server));
    expect(await client.fetchLLM("a/b")).toEqual({ provider: "a/b" });
    expect(apiRequests(server)[0]?.url).toBe("/credentials/llm/a%2Fb");
  });

  test("a trailing slash on the server URL is removed", async () => {
    const server = await serve(withSession((_request, response) => sendJson(response, 200, { secrets: [] })));
    const client = createClient(configFor(server, { server: `${server.url}/` }));
    await client.listMetadata();
    expect(server.requests.map((request) => request.url)).toEqual(["/auth/session", "/metadata"]);
  });

  test("registry routes send only the fixed query strings", async () => {
    const server = await serve(
      withSession((request, response) => {
        if (request.method === "DELETE") return sendText(response, 204, "");
        if (request.url.includes("action=history"))
          return sendJson(response, 200, { path: "a/b", versions: null });
        return sendJson(response, 200, { secrets: [] });
      }),
    );
    const client = createClient(configFor(server));
    await client.listMetadata();
    await client.listMetadata({ includeDeleted: true });
    await client.deleteSecret("a/b");
    await client.deleteSecret("a/b", { purge: true });
    expect(await client.history("a/b")).toEqual({ path: "a/b", versions: null });
    expect(apiRequests(server).map((request) => `${request.method} ${request.url}`)).toEqual([
      "GET /metadata",
      "GET /metadata?include_deleted=true",
      "DELETE /secrets/a/b",
      "DELETE /secrets/a/b?purge=true",
      "GET /secrets/a/b?action=history",
    ]);
  });

  test("a metadata write sends only the fields that are set", async () => {
    const server = await serve(
      withSession((_request, response) => sendJson(response, 200, { path: "solo", version: 2 })),
    );
    const client = createClient(configFor(server));
    const written = await client.writeMetadata("solo", { description: "d", tags: ["x"], type: undefined });
    expect(written).toEqual({ path: "solo", service: "solo", version: 2 });
    expect(JSON.parse(apiRequests(server)[0]?.body ?? "")).toEqual({ description: "d", tags: ["x"] });
    await client.writeMetadata("solo", { type: "api-token", expires: "2027-01-01T00:00:00Z" });
    expect(JSON.parse(apiRequests(server)[1]?.body ?? "")).toEqual({
      type: "api-token",
      expires: "2027-01-01T00:00:00Z",
    });
  });

  test("getMetadata returns null on a JSON 404 and the record on 200", async () => {
    const server = await serve(
      withSession((request, response) =>
        request.url === "/metadata/missing/one"
          ? sendJson(response, 404, { error: "secret not found", code: "key_not_found" })
          : sendJson(response, 200, { path: "db/analytics", version: 1, deleted: true, tags: null }),
      ),
    );
    const client = createClient(configFor(server));
    expect(await client.getMetadata("missing/one")).toBeNull();
    expect(await client.getMetadata("db/analytics")).toEqual({
      path: "db/analytics",
      service: "db",
      name: "analytics",
      version: 1,
      deleted: true,
    });
  });

  test("getMetadata still fails on a plain-text 404 (old server)", async () => {
    const server = await serve(
      withSession((_request, response) => sendText(response, 404, "404 page not found\n")),
    );
    const client = createClient(configFor(server));
    const error = await failure(client.getMetadata("a/b"));
    expect(error.message).toBe(
      "request: endpoint not supported by this AgentKMS server (404 page not found); upgrade AgentKMS to v0.3.0 or later",
    );
    expect(error.notFound).toBe(false);
  });

  test("a JSON 404 on a registry read says secret not found and counts as not found", async () => {
    const server = await serve(
      withSession((_request, response) =>
        sendJson(response, 404, { error: "secret not found", code: "key_not_found" }),
      ),
    );
    const client = createClient(configFor(server));
    const error = await failure(client.fetchRegistrySecret("cloudflare/gone"));
    expect(error.message).toBe("secret not found: cloudflare/gone");
    expect(error.notFound).toBe(true);
    expect(error.status).toBe(404);
    expect(error.serverCode).toBe("key_not_found");
  });

  test("deleteSecret accepts 200 as well as 204", async () => {
    const server = await serve(withSession((_request, response) => sendJson(response, 200, {})));
    const client = createClient(configFor(server));
    await client.deleteSecret("a/b");
    expect(apiRequests(server)).toHaveLength(1);
  });

  test("sequential requests reuse one TLS connection", async () => {
    const server = await serve(
      withSession((_request, response) => sendJson(response, 200, { secrets: { a: "1" } })),
    );
    const client = createClient(configFor(server));
    for (let index = 0; index < 5; index += 1) await client.fetchGeneric("db/prod");
    expect(server.requests).toHaveLength(6);
    expect(server.tlsConnections).toBe(1);
  });

  test("close() drops idle connections and the client still works on a new one", async () => {
    const server = await serve(
      withSession((_request, response) => sendJson(response, 200, { secrets: { a: "1" } })),
    );
    const client = createClient(configFor(server));
    await client.fetchGeneric("db/prod");
    client.close();
    expect(await client.fetchGeneric("db/prod")).toEqual({ a: "1" });
    expect(server.tlsConnections).toBe(2);
  });

  test("an RSA client key works for the handshake", async () => {
    const server = await serve(withSession((_request, response) => sendJson(response, 200, { secrets: {} })));
    const client = createClient(configFor(server, { cert: pki.rsaClientCert, key: pki.rsaClientKey }));
    expect(await client.fetchGeneric("a")).toEqual({});
  });

  test("the proxy environment is ignored", async () => {
    const server = await serve(
      withSession((_request, response) => sendJson(response, 200, { secrets: { a: "1" } })),
    );
    const deadProxy = `http://127.0.0.1:${await closedPort()}`;
    const saved = {
      HTTPS_PROXY: process.env.HTTPS_PROXY,
      https_proxy: process.env.https_proxy,
      NO_PROXY: process.env.NO_PROXY,
    };
    process.env.HTTPS_PROXY = deadProxy;
    process.env.https_proxy = deadProxy;
    delete process.env.NO_PROXY;
    try {
      // Control: a fetch that honours the environment does go to the dead proxy.
      const tls = {
        ca: readFileSync(pki.caCert, "utf8"),
        cert: readFileSync(pki.clientCert, "utf8"),
        key: readFileSync(pki.clientKey, "utf8"),
      };
      await expect(fetch(`${server.url}/healthz`, { tls })).rejects.toThrow();
      const client = createClient(configFor(server));
      expect(await client.fetchGeneric("db/prod")).toEqual({ a: "1" });
    } finally {
      for (const [name, value] of Object.entries(saved)) {
        if (value === undefined) delete process.env[name];
        else process.env[name] = value;
      }
    }
  });
});

describe("authentication", () => {
  test("20 concurrent calls share one POST /auth/session", async () => {
    const server = await serve(
      withSession((_request, response) => sendJson(response, 200, { secrets: { a: "1" } })),
    );
    const client = createClient(configFor(server));
    const results = await Promise.all(
      Array.from({ length: 20 }, (_, index) => client.fetchGeneric(`p/${index}`)),
    );
    expect(results).toHaveLength(20);
    expect(sessionRequests(server)).toHaveLength(1);
    expect(apiRequests(server)).toHaveLength(20);
  });

  test("a 401 from an API route re-authenticates once and retries the request once", async () => {
    let sessions = 0;
    const server = await serve((request, response) => {
      if (request.url === "/auth/session") {
        sessions += 1;
        return sendSession(response, `token-${sessions}`);
      }
      if (request.headers.authorization !== "Bearer token-2") {
        return sendJson(response, 401, { error: "invalid or expired session token", code: "unauthorized" });
      }
      return sendJson(response, 201, { path: "a/b", version: 1 });
    });
    const client = createClient(configFor(server));
    expect((await client.writeSecret("a/b", { value: "x" })).version).toBe(1);
    expect(server.requests.map((request) => `${request.method} ${request.url}`)).toEqual([
      "POST /auth/session",
      "POST /secrets/a/b",
      "POST /auth/session",
      "POST /secrets/a/b",
    ]);
    // The retried write carried the same body.
    expect(apiRequests(server).map((request) => request.body)).toEqual(['{"value":"x"}', '{"value":"x"}']);
  });

  test("a second 401 is reported, not retried again, and the token is not in the message", async () => {
    let sessions = 0;
    const server = await serve((request, response) => {
      if (request.url === "/auth/session") {
        sessions += 1;
        return sendSession(response, `secret-token-${sessions}`);
      }
      return sendJson(response, 401, {
        error: "token is not bound to this client certificate",
        code: "unauthorized",
      });
    });
    const client = createClient(configFor(server));
    const error = await failure(client.fetchGeneric("db/prod"));
    expect(error.message).toBe(
      "fetch generic/db/prod: token is not bound to this client certificate (unauthorized)",
    );
    expect(error.status).toBe(401);
    expect(error.message).not.toContain("secret-token");
    expect(sessionRequests(server)).toHaveLength(2);
    expect(apiRequests(server)).toHaveLength(2);
  });

  test("concurrent 401s share one re-authentication", async () => {
    let sessions = 0;
    const server = await serve((request, response) => {
      if (request.url === "/auth/session") {
        sessions += 1;
        return sendSession(response, `token-${sessions}`);
      }
      if (request.headers.authorization === "Bearer token-1")
        return sendJson(response, 401, { error: "expired" });
      return sendJson(response, 200, { secrets: { a: "1" } });
    });
    const client = createClient(configFor(server));
    await client.authenticate();
    await Promise.all(Array.from({ length: 10 }, (_, index) => client.fetchGeneric(`p/${index}`)));
    expect(sessionRequests(server)).toHaveLength(2);
    expect(apiRequests(server)).toHaveLength(20);
  });

  test("authenticate() creates a new session even when one exists", async () => {
    const server = await serve(withSession((_request, response) => sendJson(response, 200, { secrets: {} })));
    const client = createClient(configFor(server));
    await client.authenticate();
    await client.authenticate();
    expect(sessionRequests(server)).toHaveLength(2);
  });

  test("a failed authentication is reported with the authenticate op and retried on the next call", async () => {
    let sessions = 0;
    const server = await serve((request, response) => {
      if (request.url === "/auth/session") {
        sessions += 1;
        if (sessions === 1) return sendJson(response, 401, { error: "client certificate required" });
        return sendSession(response);
      }
      return sendJson(response, 200, { secrets: {} });
    });
    const client = createClient(configFor(server));
    const error = await failure(client.fetchGeneric("a"));
    expect(error.message).toBe("authenticate: client certificate required");
    expect(await client.fetchGeneric("a")).toEqual({});
  });

  test("a session answer without a token is a decode error", async () => {
    const server = await serve((_request, response) => sendJson(response, 200, { token_type: "Bearer" }));
    const client = createClient(configFor(server));
    const error = await failure(client.authenticate());
    expect(error.code).toBe("decode");
    expect(error.message).toStartWith("authenticate: decode response: token: ");
  });
});

describe("concurrency", () => {
  test("the default limit is 1 for a loopback server and 8 for any other host", () => {
    for (const host of ["127.0.0.1", "127.1.2.3", "localhost", "LOCALHOST", "[::1]", "::1"]) {
      expect(defaultMaxInFlight(host)).toBe(1);
    }
    for (const host of [
      "agentkms.example.com",
      "10.0.0.1",
      "128.0.0.1",
      "[2001:db8::1]",
      "localhost.example",
    ]) {
      expect(defaultMaxInFlight(host)).toBe(MAX_IN_FLIGHT);
    }
  });

  test("a loopback server gets one request at a time over one kept-alive connection", async () => {
    const server = await serve(
      withSession((_request, response) => {
        setTimeout(() => sendJson(response, 200, { secrets: { a: "1" } }), 2);
      }),
    );
    const client = createClient(configFor(server));
    const values = await Promise.all(
      Array.from({ length: 10 }, (_, index) => client.fetchGeneric(`p/${index}`)),
    );
    expect(values).toHaveLength(10);
    expect(server.maxInFlight).toBe(1);
    expect(server.tlsConnections).toBe(1);
    client.close();
  });

  test("at most 8 requests are in flight", async () => {
    const held: (() => void)[] = [];
    let reachedEight: () => void = () => {};
    const eight = new Promise<void>((resolve) => {
      reachedEight = resolve;
    });
    const server = await serve(
      withSession((_request, response) => {
        held.push(() => sendJson(response, 200, { secrets: { a: "1" } }));
        if (held.length === 8) reachedEight();
      }),
    );
    // The spec's cap (8); a loopback server is sent one request at a time unless told otherwise.
    const client = createClient(configFor(server, { maxInFlight: 8 }));
    await client.authenticate();
    const calls = Promise.all(Array.from({ length: 20 }, (_, index) => client.fetchGeneric(`p/${index}`)));
    await eight;
    // Give the client every chance to over-send before anything is answered.
    await Bun.sleep(100);
    expect(server.inFlight).toBe(8);
    const release = setInterval(() => {
      for (const answer of held.splice(0)) answer();
    }, 5);
    await calls;
    clearInterval(release);
    expect(server.maxInFlight).toBe(8);
    expect(apiRequests(server)).toHaveLength(20);
  });
});

describe("HTTP error mapping", () => {
  const cases: [number, string, string][] = [
    [401, "", "fetch generic/x: unauthorized (401) — check your mTLS certificates"],
    [403, "", "fetch generic/x: forbidden (403) — access denied by policy"],
    [
      405,
      "Method Not Allowed\n",
      "fetch generic/x: method not allowed (405) — this AgentKMS server does not support this operation",
    ],
    [429, "", "fetch generic/x: rate limited (429) — try again in a moment"],
    [500, "", "fetch generic/x: server error (500) — check server logs"],
    [503, "", "fetch generic/x: service unavailable (503) — is AgentKMS running?"],
    [418, "", "fetch generic/x: server returned 418"],
    [
      404,
      "404 page not found\n",
      "fetch generic/x: endpoint not supported by this AgentKMS server (404 page not found); upgrade AgentKMS to v0.3.0 or later",
    ],
  ];
  for (const [status, body, message] of cases) {
    test(`a text ${status} answer reads "${message}"`, async () => {
      const server = await serve(withSession((_request, response) => sendText(response, status, body)));
      const client = createClient(configFor(server));
      const error = await failure(client.fetchGeneric("x"));
      expect(error.message).toBe(message);
      expect(error.code).toBe("http");
      expect(error.status).toBe(status);
      expect(error.notFound).toBe(false);
      expect(error.denied).toBe(status === 403);
    });
  }

  test("a JSON policy denial is reported with the server's text and flagged denied", async () => {
    const server = await serve(
      withSession((_request, response) =>
        sendJson(response, 403, { error: "operation denied by policy", code: "policy_denied" }),
      ),
    );
    const client = createClient(configFor(server));
    const error = await failure(client.writeSecret("cloudflare/dns-token", { value: "x" }));
    expect(error.message).toBe("write cloudflare/dns-token: operation denied by policy (policy_denied)");
    expect(error.denied).toBe(true);
    expect(error.serverCode).toBe("policy_denied");
  });

  test("a JSON 429 keeps the server's wording", async () => {
    const server = await serve(
      withSession((_request, response) =>
        sendJson(response, 429, {
          error: "credential recently vended — retry after TTL expires",
          code: "rate_limited",
        }),
      ),
    );
    const client = createClient(configFor(server));
    const error = await failure(client.fetchLLM("anthropic"));
    expect(error.message).toBe(
      "fetch LLM anthropic: credential recently vended — retry after TTL expires (rate_limited)",
    );
    expect(error.notFound).toBe(false);
  });

  for (const status of [301, 307]) {
    test(`a ${status} on a write is an error and is never followed`, async () => {
      const server = await serve(
        withSession((_request, response) => {
          response.writeHead(status, { location: "/secrets/elsewhere" });
          response.end();
        }),
      );
      const client = createClient(configFor(server));
      const error = await failure(client.writeSecret("a/b", { value: "x" }));
      expect(error.message).toBe(`write a/b: unexpected redirect (${status}); kpm does not follow redirects`);
      expect(error.code).toBe("redirect");
      expect(server.requests.map((request) => `${request.method} ${request.url}`)).toEqual([
        "POST /auth/session",
        "POST /secrets/a/b",
      ]);
    });
  }

  test("a non-JSON 200 is a decode error that does not quote the body", async () => {
    const server = await serve(
      withSession((_request, response) => sendText(response, 200, "sk-secret-looking-body")),
    );
    const client = createClient(configFor(server));
    const error = await failure(client.fetchLLM("anthropic"));
    expect(error.message).toBe("fetch LLM anthropic: decode response: invalid JSON");
    expect(error.code).toBe("decode");
  });

  test("a JSON 200 of the wrong shape names the field", async () => {
    const server = await serve(
      withSession((_request, response) => sendJson(response, 200, { secrets: { a: 5 } })),
    );
    const client = createClient(configFor(server));
    const error = await failure(client.fetchGeneric("db/prod"));
    expect(error.message).toBe(
      "fetch generic/db/prod: decode response: secrets.a: Invalid input: expected string, received number",
    );
  });

  test("an unexpected 2xx is not success", async () => {
    const server = await serve(withSession((_request, response) => sendJson(response, 202, {})));
    const client = createClient(configFor(server));
    expect((await failure(client.writeSecret("a/b", { value: "x" }))).message).toBe(
      "write a/b: server returned 202",
    );
  });
});

describe("transport failures", () => {
  test("a closed port reads connection refused with the server URL", async () => {
    const server = `https://127.0.0.1:${await closedPort()}`;
    const client = createClient(configFor({ url: server }));
    const error = await failure(client.fetchGeneric("db/prod"));
    expect(error.message).toBe(`authenticate: connection refused (${server}) — is AgentKMS running?`);
    expect(error.code).toBe("transport");
  });

  test("a server that does not answer in time reads timed out", async () => {
    const server = await serve((request, response) => {
      if (request.url === "/auth/session") return sendSession(response);
      // Never answered.
    });
    const client = createClient(configFor(server, { timeoutMs: 200 }));
    const error = await failure(client.fetchGeneric("db/prod"));
    expect(error.message).toBe("fetch generic/db/prod: timed out after 0.2s");
  });

  test("a server certificate from another CA is not trusted", async () => {
    const server = await serve(
      withSession((_request, response) => sendJson(response, 200, {})),
      {
        cert: pki.foreignServerCert,
        key: pki.foreignServerKey,
      },
    );
    const client = createClient(configFor(server));
    const error = await failure(client.authenticate());
    expect(error.message).toBe(
      `authenticate: server certificate is not signed by the configured CA (${pki.caCert})`,
    );
    expect(server.requests).toHaveLength(0);
  });

  test("a CA file that does not hold the server's CA reads not signed by the configured CA", async () => {
    const server = await serve(withSession((_request, response) => sendJson(response, 200, {})));
    const client = createClient(configFor(server, { ca: pki.foreignCaCert }));
    const error = await failure(client.authenticate());
    expect(error.message).toBe(
      `authenticate: server certificate is not signed by the configured CA (${pki.foreignCaCert})`,
    );
  });

  test("a TLS 1.2-only server is refused", async () => {
    const server = await serve(
      withSession((_request, response) => sendJson(response, 200, {})),
      {
        maxVersion: "TLSv1.2",
      },
    );
    const client = createClient(configFor(server));
    const error = await failure(client.authenticate());
    expect(error.message).toBe(
      "authenticate: TLS handshake failed (client certificate rejected, TLS version < 1.3, or not a TLS port)",
    );
    expect(server.requests).toHaveLength(0);
  });

  test("a client certificate the server does not trust reads TLS handshake failed", async () => {
    const server = await serve(
      withSession((_request, response) => sendJson(response, 200, {})),
      {
        clientCa: pki.foreignCaCert,
      },
    );
    const client = createClient(configFor(server));
    const error = await failure(client.authenticate());
    expect(error.message).toBe(
      "authenticate: TLS handshake failed (client certificate rejected, TLS version < 1.3, or not a TLS port)",
    );
    expect(server.requests).toHaveLength(0);
  });

  test("a plain-HTTP port reads TLS handshake failed", async () => {
    const plain = Bun.serve({ port: 0, hostname: "127.0.0.1", fetch: () => new Response("plain") });
    try {
      const client = createClient(configFor({ url: `https://127.0.0.1:${plain.port}` }));
      const error = await failure(client.authenticate());
      expect(error.message).toBe(
        "authenticate: TLS handshake failed (client certificate rejected, TLS version < 1.3, or not a TLS port)",
      );
    } finally {
      plain.stop(true);
    }
  });

  test("an expired server certificate reads a certificate has expired", async () => {
    const server = await serve(
      withSession((_request, response) => sendJson(response, 200, {})),
      {
        cert: pki.expiredServerCert,
        key: pki.expiredServerKey,
      },
    );
    const client = createClient(configFor(server));
    const error = await failure(client.authenticate());
    expect(error.message).toBe(
      "authenticate: a certificate has expired (server or client); renew it (kpm dev enroll --renew for the dev server)",
    );
  });

  test("a server certificate for another host reads does not match host", async () => {
    const server = await serve(
      withSession((_request, response) => sendJson(response, 200, {})),
      {
        cert: pki.otherHostServerCert,
        key: pki.otherHostServerKey,
      },
    );
    const client = createClient(configFor(server));
    const error = await failure(client.authenticate());
    expect(error.message).toBe("authenticate: server certificate does not match host 127.0.0.1");
  });

  test("the server name is verified against localhost too", async () => {
    const server = await serve(withSession((_request, response) => sendJson(response, 200, { secrets: {} })));
    const client = createClient(configFor({ url: server.url.replace("127.0.0.1", "localhost") }));
    expect(await client.fetchGeneric("a")).toEqual({});
  });

  test("an unknown host reads cannot resolve host", async () => {
    const client = createClient(configFor({ url: "https://kpm-test-host.invalid:8443" }));
    const error = await failure(client.authenticate());
    expect(error.message).toBe("authenticate: cannot resolve host kpm-test-host.invalid");
  });
});

describe("healthz", () => {
  test("is true on 200 and sends no token", async () => {
    const server = await serve((_request, response) =>
      sendJson(response, 200, { status: "ok", service: "agentkms-dev" }),
    );
    const client = createClient(configFor(server));
    expect(await client.healthz()).toBe(true);
    expect(server.requests.map((request) => `${request.method} ${request.url}`)).toEqual(["GET /healthz"]);
    expect(server.requests[0]?.headers.authorization).toBeUndefined();
  });

  test("is false on another status, a closed port, or no answer in time", async () => {
    const unhealthy = await serve((_request, response) => sendText(response, 503, "starting"));
    expect(await createClient(configFor(unhealthy)).healthz()).toBe(false);
    expect(await createClient(configFor({ url: `https://127.0.0.1:${await closedPort()}` })).healthz()).toBe(
      false,
    );
    const silent = await serve(() => {});
    expect(await createClient(configFor(silent, { timeoutMs: 100 })).healthz()).toBe(false);
  });

  test("throws on a TLS fault, which waiting will not fix", async () => {
    const server = await serve((_request, response) => sendJson(response, 200, {}), {
      cert: pki.foreignServerCert,
      key: pki.foreignServerKey,
    });
    const error = await failure(createClient(configFor(server)).healthz());
    expect(error.message).toStartWith("health check: server certificate is not signed by the configured CA");
  });
});
