import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from "node:fs";
import { connect as connectTcp, createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { connect } from "node:tls";
import { DevError } from "../src/errors.ts";
import { issueClient } from "../src/pki.ts";
import { startDevServer } from "../src/server.ts";
import {
  readServerState,
  removeServerState,
  serverStatePath,
  writeServerState,
} from "../src/server-state.ts";
import { SecretStore } from "../src/store.ts";
import {
  auditEvents,
  clientCredentials,
  DevClient,
  enrolledDir,
  type Harness,
  rawRequest,
  startHarness,
} from "./helpers/dev-server.ts";

const MARKER = "planted-marker-7c1e9d";

async function rejection(promise: Promise<unknown>): Promise<DevError> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof DevError) return error;
    throw error;
  }
  throw new Error("expected a rejection");
}

describe("registry routes", () => {
  let h: Harness;
  let audit: string;
  beforeAll(async () => {
    h = await startHarness();
    audit = join(h.dir, "audit.ndjson");
  });
  afterAll(() => h.stop());

  test("a first write answers 201 with the metadata object and no status field", async () => {
    const reply = await h.client.call("POST", "/secrets/cloudflare/dns-token", {
      body: `{"value":"${MARKER}-v1"}`,
    });
    expect(reply.status).toBe(201);
    expect(reply.headers.get("content-type")).toBe("application/json");
    expect(reply.text.endsWith("}\n")).toBe(true);
    const body = JSON.parse(reply.text);
    expect(Object.keys(body)).toEqual(["path", "service", "name", "version", "created", "updated", "type"]);
    expect(body).toMatchObject({
      path: "cloudflare/dns-token",
      service: "cloudflare",
      name: "dns-token",
      version: 1,
    });
    expect(body.created).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
  });

  test("updates answer 200, bump the version and archive the previous value at /v<N>", async () => {
    const v2 = await h.client.json("POST", "/secrets/cloudflare/dns-token", `{"value":"${MARKER}-v2"}`);
    expect(v2.status).toBe(200);
    expect(v2.body["version"]).toBe(2);
    const current = await h.client.json("GET", "/secrets/cloudflare/dns-token");
    expect(current).toEqual({ status: 200, body: { value: `${MARKER}-v2` } });
    const archived = await h.client.json("GET", "/secrets/cloudflare/dns-token/v1");
    expect(archived).toEqual({ status: 200, body: { value: `${MARKER}-v1` } });
    const history = await h.client.json<{ path: string; versions: Array<{ version: number }> }>(
      "GET",
      "/secrets/cloudflare/dns-token?action=history",
    );
    expect(history.body.path).toBe("cloudflare/dns-token");
    expect(history.body.versions.map((v) => v.version)).toEqual([1, 2]);
  });

  test("non-string JSON values are stored as their raw text, byte for byte; keys come back sorted", async () => {
    const body = `{"port": 5432, "tls":true, "obj": {"a": 1,  "b":[1, 2]}, "nil": null, "z":"s", "z":"last"}trailing`;
    expect((await h.client.call("POST", "/secrets/db/raw", { body })).status).toBe(201);
    const read = await h.client.call("GET", "/secrets/db/raw");
    expect(read.text).toBe(
      `{"nil":"null","obj":"{\\"a\\": 1,  \\"b\\":[1, 2]}","port":"5432","tls":"true","z":"last"}\n`,
    );
  });

  test("metadata merges only non-empty fields, splits tags on ';' and is not HTML-escaped", async () => {
    const body = `{"description":"A <b> & c","tags":["dns","team;ops"],"type":"api-token","expires":"2027-06-30T00:00:00Z"}`;
    const merged = await h.client.call("POST", "/metadata/cloudflare/dns-token", { body });
    expect(merged.status).toBe(200);
    expect(merged.text).toContain('"description":"A <b> & c"');
    const again = await h.client.json(
      "POST",
      "/metadata/cloudflare/dns-token",
      `{"description":"","tags":[]}`,
    );
    expect(again.body).toMatchObject({
      description: "A <b> & c",
      tags: ["dns", "team", "ops"],
      type: "api-token",
      expires: "2027-06-30T00:00:00Z",
      version: 2,
    });
    const read = await h.client.json("GET", "/metadata/cloudflare/dns-token");
    expect(read.body).toEqual(again.body);
  });

  test("metadata write errors: unknown secret, bad JSON, wrong types, empty path", async () => {
    expect(await h.client.call("POST", "/metadata/nope/missing", { body: "{}" })).toMatchObject({
      status: 404,
      text: '{"error":"secret not found — write the secret first","code":"key_not_found"}\n',
    });
    for (const body of ['{"description":', '{"tags":"dns"}', "[1]", '{"type":5}', '{"tags":[1]}']) {
      expect(await h.client.call("POST", "/metadata/cloudflare/dns-token", { body })).toMatchObject({
        status: 400,
        text: '{"error":"invalid JSON body","code":"invalid_request"}\n',
      });
    }
    expect((await h.client.call("POST", "/metadata/", { body: "{}" })).text).toBe(
      '{"error":"path is required","code":"invalid_request"}\n',
    );
  });

  test("write body errors answer 400 and store nothing", async () => {
    const cases: Array<[string, string]> = [
      ["", "invalid JSON body"],
      ['{"value":', "invalid JSON body"],
      ['["x"]', "invalid JSON body"],
      ["42", "invalid JSON body"],
      ["{}", "secret body must not be empty"],
      ["null", "secret body must not be empty"],
    ];
    for (const [body, error] of cases) {
      const reply = await h.client.call("POST", "/secrets/errors/never", { body });
      expect(reply).toMatchObject({ status: 400, text: `{"error":"${error}","code":"invalid_request"}\n` });
    }
    const big = `{"value":"${"x".repeat(2 * 1024 * 1024)}"}`;
    const tooBig = await h.client.call("POST", "/secrets/errors/never", { body: big });
    expect(tooBig).toMatchObject({
      status: 400,
      text: '{"error":"invalid JSON body","code":"invalid_request"}\n',
    });
    expect((await h.client.call("GET", "/metadata/errors/never")).status).toBe(404);
    // The connection pool keeps working after the oversized body.
    expect((await h.client.call("GET", "/healthz")).status).toBe(200);
  });

  test("soft delete keeps metadata (deleted:true) but the value reads as 404; a write un-deletes", async () => {
    await h.client.call("POST", "/secrets/legacy/key", { body: '{"value":"old"}' });
    expect((await h.client.call("DELETE", "/secrets/legacy/key")).status).toBe(204);
    const again = await h.client.call("DELETE", "/secrets/legacy/key");
    expect(again).toMatchObject({ status: 204, text: "" });
    expect(await h.client.call("GET", "/secrets/legacy/key")).toMatchObject({
      status: 404,
      text: '{"error":"secret not found","code":"key_not_found"}\n',
    });
    expect((await h.client.json("GET", "/metadata/legacy/key")).body["deleted"]).toBe(true);
    const listed = await h.client.json<{ secrets: Array<{ path: string }> }>("GET", "/metadata");
    expect(listed.body.secrets.map((s) => s.path)).not.toContain("legacy/key");
    const all = await h.client.json<{ secrets: Array<{ path: string }> }>(
      "GET",
      "/metadata?include_deleted=true",
    );
    expect(all.body.secrets.map((s) => s.path)).toContain("legacy/key");
    const notExact = await h.client.json<{ secrets: Array<{ path: string }> }>(
      "GET",
      "/metadata?include_deleted=1",
    );
    expect(notExact.body.secrets.map((s) => s.path)).not.toContain("legacy/key");
    const revived = await h.client.json("POST", "/secrets/legacy/key", '{"value":"new"}');
    expect(revived.status).toBe(200);
    expect(revived.body["version"]).toBe(2);
    expect(revived.body["deleted"]).toBeUndefined();
    expect((await h.client.json("GET", "/secrets/legacy/key")).body).toEqual({ value: "new" });
  });

  test("purge removes every archived version, even beyond the last 10 history entries", async () => {
    for (let i = 1; i <= 12; i++)
      await h.client.call("POST", "/secrets/temp/many", { body: `{"value":"v${i}"}` });
    const history = await h.client.json<{ versions: Array<{ version: number }> }>(
      "GET",
      "/secrets/temp/many?action=history",
    );
    expect(history.body.versions.map((v) => v.version)).toEqual([2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]);
    expect((await h.client.json("GET", "/secrets/temp/many/v1")).body).toEqual({ value: "v1" });
    expect((await h.client.call("DELETE", "/secrets/temp/many?purge=true")).status).toBe(204);
    const kv = new SecretStore(h.dir).read();
    expect([...kv.keys()].filter((k) => k.includes("temp/many"))).toEqual([]);
    expect((await h.client.call("GET", "/secrets/temp/many/v1")).status).toBe(404);
    expect((await h.client.call("DELETE", "/secrets/temp/many?purge=true")).status).toBe(404);
    const rewritten = await h.client.call("POST", "/secrets/temp/many", { body: '{"value":"again"}' });
    expect(rewritten.status).toBe(201);
  });

  test("list is sorted by path and every record drops values", async () => {
    await h.client.call("POST", "/secrets/aaa/first", { body: `{"value":"${MARKER}"}` });
    await h.client.call("POST", "/secrets/standalone", { body: `{"value":"${MARKER}"}` });
    const list = await h.client.json<{ secrets: Array<{ path: string; service: string; name?: string }> }>(
      "GET",
      "/metadata",
    );
    const paths = list.body.secrets.map((s) => s.path);
    expect(paths).toEqual([...paths].sort());
    expect(paths[0]).toBe("aaa/first");
    const standalone = list.body.secrets.find((s) => s.path === "standalone");
    expect(standalone?.service).toBe("standalone");
    expect(standalone && "name" in standalone).toBe(false);
  });

  test("a list served from the snapshot cache follows every change, per include_deleted", async () => {
    type Listed = { secrets: Array<{ path: string; deleted?: boolean }> };
    const paths = async (query = "") =>
      (await h.client.json<Listed>("GET", `/metadata${query}`)).body.secrets.map((s) => s.path);
    await h.client.call("POST", "/secrets/cache/one", { body: '{"value":"1"}' });
    const first = await paths();
    expect(await paths()).toEqual(first);
    await h.client.call("POST", "/secrets/cache/two", { body: '{"value":"2"}' });
    expect(await paths()).toEqual([...first, "cache/two"].sort());
    expect((await h.client.call("DELETE", "/secrets/cache/one")).status).toBe(204);
    expect(await paths()).not.toContain("cache/one");
    expect(await paths("?include_deleted=true")).toContain("cache/one");
    await h.client.json("POST", "/metadata/cache/two", '{"description":"now described"}');
    const described = await h.client.json<{ secrets: Array<{ path: string; description?: string }> }>(
      "GET",
      "/metadata",
    );
    expect(described.body.secrets.find((s) => s.path === "cache/two")?.description).toBe("now described");
  });

  test("unknown secrets: 404 on read, history, metadata and delete", async () => {
    const notFound = '{"error":"secret not found","code":"key_not_found"}\n';
    expect((await h.client.call("GET", "/secrets/nope/missing")).text).toBe(notFound);
    expect((await h.client.call("GET", "/secrets/nope/missing?action=history")).text).toBe(notFound);
    expect((await h.client.call("GET", "/metadata/nope/missing")).text).toBe(notFound);
    expect((await h.client.call("DELETE", "/secrets/nope/missing")).text).toBe(notFound);
  });

  test("empty paths: 'path required' on value reads, 'path is required' elsewhere", async () => {
    expect((await h.client.call("GET", "/secrets/")).text).toBe(
      '{"error":"path required","code":"invalid_request"}\n',
    );
    for (const [method, path] of [
      ["GET", "/secrets/?action=history"],
      ["DELETE", "/secrets/"],
      ["GET", "/metadata/"],
      ["GET", "/credentials/generic/"],
    ] as const) {
      expect((await h.client.call(method, path)).text).toBe(
        '{"error":"path is required","code":"invalid_request"}\n',
      );
    }
  });

  test("HEAD on a GET route runs the handler and sends no body", async () => {
    const reply = await h.client.call("HEAD", "/secrets/cloudflare/dns-token");
    expect(reply.status).toBe(200);
    expect(reply.text).toBe("");
  });

  test("the planted value never reaches the audit log, the server log or metadata responses", async () => {
    for (const path of ["/metadata", "/metadata?include_deleted=true", "/metadata/aaa/first"]) {
      expect((await h.client.call("GET", path)).text).not.toContain(MARKER);
    }
    expect((await h.client.call("GET", "/secrets/aaa/first?action=history")).text).not.toContain(MARKER);
    expect(readFileSync(audit, "utf8")).not.toContain(MARKER);
    expect(h.logs.join("\n")).not.toContain(MARKER);
    expect(h.logs.join("\n")).not.toContain(h.client.token);
    expect(readFileSync(audit, "utf8")).not.toContain(h.client.token);
  });

  test("audit.ndjson is mode 0600 and every line is a complete event", () => {
    expect(statSync(audit).mode & 0o777).toBe(0o600);
    for (const event of auditEvents(audit)) {
      expect(Object.keys(event).slice(0, 5)).toEqual([
        "schema_version",
        "event_id",
        "timestamp",
        "caller_id",
        "team_id",
      ]);
      expect(event["environment"]).toBe("dev");
    }
  });
});

describe("mux, tokens and paths", () => {
  let h: Harness;
  let audit: string;
  beforeAll(async () => {
    h = await startHarness();
    audit = join(h.dir, "audit.ndjson");
  });
  afterAll(() => h.stop());

  test("unknown routes answer the Go mux 404 text before auth; wrong methods 405 with Allow", async () => {
    const before = auditEvents(audit).length;
    const unknown = await h.client.call("GET", "/nope", { auth: false });
    expect(unknown).toMatchObject({ status: 404, text: "404 page not found\n" });
    expect(unknown.headers.get("content-type")).toBe("text/plain; charset=utf-8");
    expect(unknown.headers.get("x-content-type-options")).toBe("nosniff");
    const cases: Array<[string, string, string]> = [
      ["PUT", "/secrets/a/b", "DELETE, GET, HEAD, POST"],
      ["PATCH", "/metadata/a", "GET, HEAD, POST"],
      ["DELETE", "/metadata", "GET, HEAD, POST"],
      ["POST", "/credentials/generic/db", "GET, HEAD"],
      ["DELETE", "/credentials/llm/openai", "GET, HEAD"],
    ];
    for (const [method, path, allow] of cases) {
      const reply = await h.client.call(method, path, { auth: false });
      expect(reply.status).toBe(405);
      expect(reply.text).toBe("Method Not Allowed\n");
      expect(reply.headers.get("allow")).toBe(allow);
    }
    expect((await h.client.call("GET", "/auth/session")).text).toBe("404 page not found\n");
    expect((await h.client.call("POST", "/healthz")).status).toBe(404);
    expect((await h.client.call("GET", "/credentials/llm/")).status).toBe(404);
    expect(auditEvents(audit).length).toBe(before);
  });

  test("health answers without a token and without a trailing newline", async () => {
    const reply = await h.client.call("GET", "/healthz", { auth: false });
    expect(reply).toMatchObject({ status: 200, text: '{"status":"ok","service":"agentkms-dev"}' });
  });

  test("non-canonical paths redirect with 307 before auth, keeping the query", async () => {
    const get = await rawRequest(h.server.port, h.client.tls, {
      method: "GET",
      path: "/secrets//a/b?action=history",
    });
    expect(get.status).toBe(307);
    expect(get.headers["location"]).toBe("/secrets/a/b?action=history");
    expect(get.body).toBe('<a href="/secrets/a/b?action=history">Temporary Redirect</a>.\n\n');
    const dot = await rawRequest(h.server.port, h.client.tls, { method: "GET", path: "/secrets/a/./b" });
    expect(dot.headers["location"]).toBe("/secrets/a/b");
    const dotdot = await rawRequest(h.server.port, h.client.tls, {
      method: "GET",
      path: "/secrets/a/../../b",
    });
    expect(dotdot.headers["location"]).toBe("/b");
    const post = await rawRequest(h.server.port, h.client.tls, {
      method: "POST",
      path: "/secrets",
      body: "{}",
    });
    expect(post).toMatchObject({ status: 307, body: "" });
    expect(post.headers["location"]).toBe("/secrets/");
    const metadata = await rawRequest(h.server.port, h.client.tls, { method: "POST", path: "/metadata?x=1" });
    expect(metadata.headers["location"]).toBe("/metadata/?x=1");
  });

  test("bearer errors are exact and write no audit event", async () => {
    const before = auditEvents(audit).length;
    const missing = '{"error":"missing or invalid Authorization header","code":"unauthorized"}\n';
    const invalid = '{"error":"invalid or expired session token","code":"unauthorized"}\n';
    const token = h.client.token;
    const tampered = token.slice(0, -2) + (token.endsWith("AA") ? "BB" : "AA");
    const cases: Array<[Record<string, string>, string]> = [
      [{}, missing],
      [{ Authorization: "Basic Zm9vOmJhcg==" }, missing],
      [{ Authorization: `bearer ${token}` }, missing],
      [{ Authorization: `Bearer  ${token}` }, invalid],
      [{ Authorization: "Bearer fixture-not-a-token" }, invalid],
      [{ Authorization: `Bearer ${tampered}` }, invalid],
      [{ Authorization: `Bearer ${token.replace(".", "x.")}` }, invalid],
    ];
    for (const [headers, text] of cases) {
      const reply = await h.client.call("GET", "/secrets/a/b", { auth: false, headers });
      expect(reply).toMatchObject({ status: 401, text });
    }
    expect(auditEvents(audit).length).toBe(before);
  });

  test("a token is bound to the certificate that created it", async () => {
    await issueClient(h.dir, "other");
    const other = new DevClient(h.server.port, clientCredentials(h.dir, "other"));
    other.token = h.client.token;
    expect(await other.call("GET", "/metadata")).toMatchObject({
      status: 401,
      text: '{"error":"token is not bound to this client certificate","code":"unauthorized"}\n',
    });
    await other.login();
    expect((await other.call("GET", "/metadata")).status).toBe(200);
  });

  test("a connection without a client certificate never gets an HTTP response", async () => {
    await expect(rawRequest(h.server.port, null, { method: "GET", path: "/healthz" })).rejects.toBeDefined();
    expect((await h.client.call("GET", "/healthz")).status).toBe(200);
  });

  test("garbage bytes on the TLS port do not disturb the server", async () => {
    await new Promise<void>((resolve) => {
      const socket = connectTcp(h.server.port, "127.0.0.1", () => {
        socket.write(Buffer.from("GET / HTTP/1.1\r\n\r\n\x00\xff\x16\x03\x01garbage"));
        socket.end();
      });
      socket.on("close", () => resolve());
      socket.on("error", () => resolve());
    });
    // A TLS session that sends non-HTTP bytes after the handshake.
    await new Promise<void>((resolve) => {
      const socket = connect({ host: "127.0.0.1", port: h.server.port, ...h.client.tls }, () => {
        socket.write("\x00\x01\x02 not http at all\r\n\r\n");
      });
      socket.on("close", () => resolve());
      socket.on("error", () => resolve());
      socket.resume();
    });
    expect((await h.client.call("GET", "/healthz")).status).toBe(200);
  });

  test("invalid paths answer 400 invalid path, are audited as denied without key_id, and store nothing", async () => {
    const hex = "0123456789abcdef".repeat(4);
    const cases: Array<[string, string, string]> = [
      ["POST", "/secrets/%2e%2e/x", '".." segment'],
      ["POST", "/secrets/a/%2E/b", '"." segment'],
      ["GET", "/secrets/a%2F%2Fb", "empty segment"],
      ["POST", "/secrets/a%00b", "control character"],
      ["POST", `/secrets/hex/${hex}`, "64+ hex digit run"],
      ["GET", `/metadata/hex/${hex}`, "64+ hex digit run"],
      ["DELETE", "/secrets/a/%2e%2e", '".." segment'],
      ["GET", "/credentials/generic/app/config/", "empty segment"],
      ["GET", "/credentials/generic/%2e%2e/x", '".." segment'],
      ["GET", "/secrets/a%1fb?action=history", "control character"],
      ["POST", "/secrets/svc/a%C2%85b", "control character"],
    ];
    for (const [method, path, reason] of cases) {
      const before = auditEvents(audit).length;
      const reply = await rawRequest(h.server.port, h.client.tls, {
        method,
        path,
        headers: { Authorization: `Bearer ${h.client.token}` },
        ...(method === "POST" ? { body: '{"value":"x"}' } : {}),
      });
      expect(reply.status).toBe(400);
      expect(reply.body).toBe('{"error":"invalid path","code":"invalid_request"}\n');
      const events = auditEvents(audit).slice(before);
      expect(events.length).toBe(1);
      expect(events[0]?.["outcome"]).toBe("denied");
      expect(events[0]?.["deny_reason"]).toBe(`invalid path: ${reason}`);
      expect(events[0]?.["key_id"]).toBeUndefined();
    }
    expect(new SecretStore(h.dir).read().size).toBe(0);
  });

  test("percent-encoded slashes are decoded into the registry path", async () => {
    await h.client.call("POST", "/secrets/enc/oded", { body: '{"value":"v"}' });
    const reply = await rawRequest(h.server.port, h.client.tls, {
      method: "GET",
      path: "/secrets/enc%2Foded",
      headers: { Authorization: `Bearer ${h.client.token}` },
    });
    expect(reply.body).toBe('{"value":"v"}\n');
  });

  test("refresh issues a new token and revokes the old one; revoke kills a token", async () => {
    const old = h.client.token;
    const refreshed = await h.client.call("POST", "/auth/refresh");
    expect(refreshed.status).toBe(200);
    const body = JSON.parse(refreshed.text) as Record<string, unknown>;
    expect(Object.keys(body)).toEqual(["token", "token_type", "expires_in", "session_id"]);
    expect(body["expires_in"]).toBe(900);
    expect((await h.client.call("GET", "/metadata")).status).toBe(401);
    h.client.token = String(body["token"]);
    expect((await h.client.call("GET", "/metadata")).status).toBe(200);
    expect(
      await h.client.call("POST", "/auth/refresh", {
        headers: { Authorization: `Bearer ${old}` },
        auth: false,
      }),
    ).toMatchObject({ status: 401, text: '{"error":"token invalid or expired"}' });
    expect(await h.client.call("POST", "/auth/revoke", { auth: false })).toMatchObject({
      status: 401,
      text: '{"error":"authorization required"}',
    });
    expect(await h.client.call("POST", "/auth/revoke")).toMatchObject({ status: 204, text: "" });
    expect((await h.client.call("GET", "/metadata")).status).toBe(401);
    const ops = auditEvents(audit).map((e) => e["operation"]);
    expect(ops).toContain("auth_refresh");
    expect(ops).toContain("revoke");
    await h.client.login();
  });

  test("a certificate without an organisation or SPIFFE team cannot get a session", async () => {
    await issueClient(h.dir, "teamless", { team: "" });
    const teamless = new DevClient(h.server.port, clientCredentials(h.dir, "teamless"));
    const reply = await teamless.call("POST", "/auth/session", { auth: false });
    // The dev profile has a spiffe://agentkms.dev SAN (not agentkms.org), so no team can be derived.
    expect(reply).toMatchObject({ status: 401, text: '{"error":"client certificate required"}' });
    const last = auditEvents(audit).at(-1);
    expect(last).toMatchObject({ operation: "auth", outcome: "error", caller_id: "teamless" });
  });
});

describe("vending", () => {
  let h: Harness;
  let audit: string;
  beforeAll(async () => {
    const dir = await enrolledDir();
    h = await startHarness({ dir, rateLimitSeconds: 60 });
    audit = join(dir, "audit.ndjson");
  });
  afterAll(async () => {
    await h.stop();
    rmSync(h.dir, { recursive: true, force: true });
  });

  test("vends with no store yet answer 404, not 500", async () => {
    expect(await h.client.call("GET", "/credentials/generic/db/prod")).toMatchObject({
      status: 404,
      text: '{"error":"not found","code":"key_not_found"}\n',
    });
    expect(await h.client.call("GET", "/credentials/llm/anthropic")).toMatchObject({
      status: 404,
      text: '{"error":"no credential configured for provider anthropic","code":"key_not_found"}\n',
    });
  });

  test("LLM vend: trimmed, lower-cased provider; exact body; hash and scope in audit; then 429", async () => {
    await new SecretStore(h.dir).update((kv) => {
      kv.set("kv/data/llm/openai", { api_key: `sk-${MARKER}` });
      kv.set("kv/data/llm/google", { api_key: "REPLACE_WITH_REAL_KEY" });
      kv.set("kv/data/generic/db/prod", { user: "u", password: MARKER, host: "h&<x>" });
    });
    const reply = await h.client.call("GET", "/credentials/llm/OpenAI");
    expect(reply.status).toBe(200);
    const body = JSON.parse(reply.text) as Record<string, unknown>;
    expect(Object.keys(body)).toEqual([
      "provider",
      "api_key",
      "expires_at",
      "ttl_seconds",
      "credential_uuid",
    ]);
    expect(body).toMatchObject({ provider: "openai", api_key: `sk-${MARKER}`, ttl_seconds: 3600 });
    expect(String(body["expires_at"])).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    const event = auditEvents(audit).at(-1);
    expect(event).toMatchObject({
      operation: "credential_vend",
      key_id: "llm/openai",
      outcome: "success",
      credential_uuid: body["credential_uuid"],
      compliance_tags: ["soc2", "pci-dss", "iso27001"],
      credential_type: "llm-session",
      provider_token_hash: new Bun.CryptoHasher("sha256").update(`sk-${MARKER}`).digest("hex"),
      rule_id: "dev-allow-all",
    });
    expect(event?.["scope"]).toMatchObject({ kind: "llm-session", params: { provider: "openai" } });
    expect(await h.client.call("GET", "/credentials/llm/openai")).toMatchObject({
      status: 429,
      text: '{"error":"credential recently vended — retry after TTL expires","code":"rate_limited"}\n',
    });
    expect(auditEvents(audit).at(-1)).toMatchObject({
      outcome: "denied",
      deny_reason: "rate limited: credential recently vended",
    });
  });

  test("POST /credentials/llm/{provider}/refresh is the vend handler (wire §1.2): same rate limit", async () => {
    // openai was vended by the test above: the refresh route answers as the GET would.
    expect(await h.client.call("POST", "/credentials/llm/openai/refresh")).toMatchObject({
      status: 429,
      text: '{"error":"credential recently vended — retry after TTL expires","code":"rate_limited"}\n',
    });
    expect((await h.client.call("POST", "/credentials/llm/nope/refresh")).text).toBe(
      '{"error":"unsupported provider — see /credentials/llm for supported list","code":"invalid_request"}\n',
    );
  });

  test("LLM vend errors: empty, unsupported, placeholder key", async () => {
    expect((await h.client.call("GET", "/credentials/llm/%20")).text).toBe(
      '{"error":"provider is required","code":"invalid_request"}\n',
    );
    expect((await h.client.call("GET", "/credentials/llm/nope")).text).toBe(
      '{"error":"unsupported provider — see /credentials/llm for supported list","code":"invalid_request"}\n',
    );
    expect((await h.client.call("GET", "/credentials/llm/google")).status).toBe(404);
    expect((await h.client.json("GET", "/credentials/llm")).body).toEqual({
      providers: ["anthropic", "openai", "google", "azure", "bedrock", "mistral", "groq", "xai"],
    });
  });

  test("generic vend: sorted secrets, not HTML-escaped, canonical hash, then 429 per path", async () => {
    const reply = await h.client.call("GET", "/credentials/generic/db/prod");
    expect(reply.status).toBe(200);
    expect(reply.text).toStartWith(
      `{"path":"db/prod","secrets":{"host":"h&<x>","password":"${MARKER}","user":"u"},`,
    );
    const canonical = `4:host=5:h&<x>;8:password=${MARKER.length}:${MARKER};4:user=1:u;`;
    expect(auditEvents(audit).at(-1)).toMatchObject({
      credential_type: "generic-vend",
      provider_token_hash: new Bun.CryptoHasher("sha256").update(canonical).digest("hex"),
    });
    expect(await h.client.call("GET", "/credentials/generic/db/prod")).toMatchObject({
      status: 429,
      text: '{"error":"retry after TTL expires","code":"rate_limited"}\n',
    });
    // Failed vends do not start the interval.
    expect((await h.client.call("GET", "/credentials/generic/nope")).status).toBe(404);
    expect((await h.client.call("GET", "/credentials/generic/nope")).status).toBe(404);
    expect(readFileSync(audit, "utf8")).not.toContain(MARKER);
  });

  test("the registry and generic namespaces never see each other", async () => {
    await h.client.call("POST", "/secrets/db/prod", { body: '{"value":"registry"}' });
    expect((await h.client.call("GET", "/secrets/generic/db/prod")).status).toBe(404);
    expect((await h.client.call("GET", "/credentials/generic/db/prod/x")).status).toBe(404);
  });
});

describe("policy, audit failures and store faults", () => {
  test("a deny rule answers 403 with both wordings and records the rule in audit", async () => {
    const dir = await enrolledDir();
    const policyPath = join(dir, "policy.yaml");
    writeFileSync(
      policyPath,
      [
        'version: "1"',
        "rules:",
        "  - id: no-prod",
        "    description: prod is off limits",
        "    match: { key_prefix: secrets/prod/ }",
        "    effect: deny",
        "  - id: no-generic",
        "    match: { key_prefix: generic/ }",
        "    effect: deny",
        "  - id: two-lists",
        "    match: { operations: [metadata_list] }",
        "    effect: allow",
        "    rate_limit: { max_requests: 2, window: 1h }",
        "  - id: rest",
        "    match: { identity: { roles: [developer] }, operations: [secret_write, credential_vend, auth, metadata_write] }",
        "    effect: allow",
      ].join("\n"),
    );
    const h = await startHarness({ dir, policyPath });
    const audit = join(dir, "audit.ndjson");
    try {
      const denied = '{"error":"denied","code":"policy_denied"}\n';
      const byPolicy = '{"error":"operation denied by policy","code":"policy_denied"}\n';
      expect(await h.client.call("POST", "/secrets/prod/db", { body: '{"value":"x"}' })).toMatchObject({
        status: 403,
        text: byPolicy,
      });
      expect(auditEvents(audit).at(-1)).toMatchObject({
        outcome: "denied",
        rule_id: "no-prod",
        deny_reason: 'policy: denied by rule "no-prod": prod is off limits',
      });
      expect((await h.client.call("GET", "/secrets/prod/db")).text).toBe(denied);
      expect((await h.client.call("GET", "/credentials/generic/x")).text).toBe(denied);
      expect((await h.client.call("DELETE", "/secrets/dev/db")).text).toBe(byPolicy);
      expect(auditEvents(audit).at(-1)?.["deny_reason"]).toBe(
        "policy: no rule allows this operation (deny by default)",
      );
      expect((await h.client.call("GET", "/secrets/dev/db?action=history")).text).toBe(byPolicy);
      expect((await h.client.call("GET", "/credentials/llm/openai")).status).toBe(404);
      expect((await h.client.call("GET", "/metadata")).status).toBe(200);
      expect((await h.client.call("GET", "/metadata/x")).status).toBe(404);
      expect((await h.client.call("GET", "/metadata")).text).toBe(byPolicy);
      expect(auditEvents(audit).at(-1)?.["deny_reason"]).toBe(
        'policy: rate limit exceeded for rule "two-lists" (max 2 per 1h0m0s for caller "forge-gateway")',
      );
      expect((await h.client.call("POST", "/metadata/x", { body: "{}" })).status).toBe(404);
    } finally {
      await h.stop();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test("a policy file with a typo refuses to start, naming the file and the field", async () => {
    const dir = await enrolledDir();
    const policyPath = join(dir, "policy.yaml");
    writeFileSync(
      policyPath,
      'version: "1"\nrules:\n  - id: a\n    effect: allow\n    match: { key_prefx: x }\n',
    );
    const error = await rejection(startDevServer({ dir, host: "127.0.0.1", port: 0, policyPath }));
    expect(error.code).toBe("policy");
    expect(error.message).toBe(`${policyPath}: rules[0].match: unknown field "key_prefx"`);
    rmSync(dir, { recursive: true, force: true });
  });

  test("no PKI and a taken port are clear errors", async () => {
    const empty = mkdtempSync(join(tmpdir(), "kpm-nopki-"));
    const noPki = await rejection(startDevServer({ dir: empty, host: "127.0.0.1", port: 0 }));
    expect(noPki).toMatchObject({ code: "no_pki", message: `no PKI in ${empty}; run: kpm dev enroll` });
    const dir = await enrolledDir();
    const blocker = createServer();
    await new Promise<void>((resolve) => blocker.listen(0, "127.0.0.1", resolve));
    const address = blocker.address();
    const port = typeof address === "object" && address ? address.port : 0;
    const inUse = await rejection(startDevServer({ dir, host: "127.0.0.1", port }));
    expect(inUse).toMatchObject({
      code: "addr_in_use",
      message: `listen 127.0.0.1:${port}: address already in use`,
    });
    blocker.close();
    rmSync(join(dir, "server.key"));
    const noKey = await rejection(startDevServer({ dir, host: "127.0.0.1", port: 0 }));
    expect(noKey.message).toBe(`cannot read ${join(dir, "server.key")} (ENOENT); run: kpm dev enroll`);
    // A PKI file replaced by a link to an endless device fails at once instead of hanging the start.
    symlinkSync("/dev/zero", join(dir, "server.key"));
    const endless = await rejection(startDevServer({ dir, host: "127.0.0.1", port: 0 }));
    expect(endless.message).toBe(
      `cannot read ${join(dir, "server.key")}: file too large (max 1 MiB); run: kpm dev enroll`,
    );
    rmSync(empty, { recursive: true, force: true });
    rmSync(dir, { recursive: true, force: true });
  });

  test("a corrupt secrets.enc is never overwritten: 500 on store routes, 404 on value reads, a log line", async () => {
    const h = await startHarness();
    try {
      await h.client.call("POST", "/secrets/keep/me", { body: '{"value":"kept"}' });
      const file = join(h.dir, "secrets.enc");
      const good = readFileSync(file);
      const corrupt = Buffer.from(good);
      corrupt[corrupt.length - 1] = (corrupt[corrupt.length - 1] ?? 0) ^ 0xff;
      writeFileSync(file, corrupt);
      const internal = '{"error":"internal error","code":"internal_error"}\n';
      expect((await h.client.call("POST", "/secrets/keep/me", { body: '{"value":"lost"}' })).text).toBe(
        internal,
      );
      expect((await h.client.call("GET", "/metadata")).text).toBe(internal);
      expect((await h.client.call("GET", "/metadata/keep/me")).text).toBe(internal);
      expect((await h.client.call("DELETE", "/secrets/keep/me")).text).toBe(internal);
      expect((await h.client.call("GET", "/credentials/llm/openai")).text).toBe(internal);
      expect((await h.client.call("GET", "/credentials/generic/x")).text).toBe(internal);
      expect((await h.client.call("GET", "/secrets/keep/me?action=history")).text).toBe(internal);
      expect((await h.client.call("POST", "/metadata/keep/me", { body: "{}" })).text).toBe(internal);
      expect((await h.client.call("GET", "/secrets/keep/me")).status).toBe(404);
      expect(readFileSync(file).equals(corrupt)).toBe(true);
      expect(h.logs.join("\n")).toContain(
        `cannot decrypt ${file} (wrong server.key or corrupt file); refusing to overwrite it`,
      );
      // Repaired on disk → served again without a restart.
      writeFileSync(file, good);
      expect((await h.client.json("GET", "/secrets/keep/me")).body).toEqual({ value: "kept" });
    } finally {
      await h.stop();
    }
  });

  test("an event the audit validator rejects turns the response into 500 (fail closed)", async () => {
    const h = await startHarness();
    try {
      const userAgent = `agent/${"ab".repeat(40)}`;
      const reply = await h.client.call("POST", "/secrets/a/b", {
        body: '{"value":"x"}',
        headers: { "User-Agent": userAgent },
      });
      expect(reply).toMatchObject({
        status: 500,
        text: '{"error":"internal error","code":"internal_error"}\n',
      });
      expect(readFileSync(join(h.dir, "audit.ndjson"), "utf8")).not.toContain(userAgent);
    } finally {
      await h.stop();
    }
  });

  test("--token-ttl 1: a token stops working after it expires", async () => {
    const h = await startHarness({ tokenTtlSeconds: 1 });
    try {
      expect((await h.client.call("GET", "/metadata")).status).toBe(200);
      await Bun.sleep(2100);
      expect((await h.client.call("GET", "/metadata")).text).toBe(
        '{"error":"invalid or expired session token","code":"unauthorized"}\n',
      );
      await h.client.login();
      expect((await h.client.call("GET", "/metadata")).status).toBe(200);
    } finally {
      await h.stop();
    }
  });

  test("close() lets an in-flight request finish and then refuses connections", async () => {
    const h = await startHarness();
    const body = '{"value":"late"}';
    const socket = connect({ host: "127.0.0.1", port: h.server.port, ...h.client.tls });
    const chunks: Buffer[] = [];
    socket.on("data", (chunk: Buffer) => chunks.push(chunk));
    const ended = new Promise<void>((resolve) => socket.on("close", () => resolve()));
    await new Promise<void>((resolve) => socket.once("secureConnect", () => resolve()));
    socket.write(
      `POST /secrets/in/flight HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${h.client.token}\r\n` +
        `Content-Length: ${body.length}\r\n\r\n${body.slice(0, 5)}`,
    );
    await Bun.sleep(50);
    const closing = h.server.close(5000);
    socket.write(body.slice(5));
    await closing;
    await ended;
    expect(Buffer.concat(chunks).toString()).toStartWith("HTTP/1.1 201");
    expect(new SecretStore(h.dir).read().get("kv/data/secrets/in/flight")).toEqual({ value: "late" });
    await expect(h.client.call("GET", "/healthz")).rejects.toBeDefined();
    rmSync(h.dir, { recursive: true, force: true });
  });
});

describe("audit: one event per handled request (wire §4.3)", () => {
  test("counts and outcomes across a realistic sequence", async () => {
    const h = await startHarness();
    const audit = join(h.dir, "audit.ndjson");
    try {
      const requests: Array<[string, string, string | undefined]> = [
        ["POST", "/secrets/a/b", '{"value":"1"}'],
        ["POST", "/secrets/a/b", "{}"],
        ["GET", "/secrets/a/b", undefined],
        ["GET", "/secrets/a/missing", undefined],
        ["GET", "/secrets/a/b?action=history", undefined],
        ["GET", "/metadata", undefined],
        ["GET", "/metadata/a/missing", undefined],
        ["POST", "/metadata/a/b", "{}"],
        ["DELETE", "/secrets/a/b", undefined],
        ["GET", "/credentials/generic/none", undefined],
        ["GET", "/credentials/llm", undefined],
        ["GET", "/nope", undefined],
        ["PUT", "/secrets/a/b", undefined],
      ];
      for (const [method, path, body] of requests) {
        await h.client.call(method, path, body === undefined ? {} : { body });
      }
      await h.client.call("GET", "/secrets/a/b", { auth: false });
      const events = auditEvents(audit);
      expect(events.map((e) => [e["operation"], e["outcome"], e["deny_reason"] ?? ""])).toEqual([
        ["auth", "success", ""],
        ["secret_write", "success", ""],
        ["secret_write", "denied", "empty secret body"],
        ["credential_vend", "success", ""],
        ["credential_vend", "denied", "not found"],
        ["secret_history", "success", ""],
        ["metadata_list", "success", ""],
        ["metadata_list", "error", "not found"],
        ["metadata_write", "success", ""],
        ["secret_delete", "success", ""],
        ["credential_vend", "error", "not found"],
      ]);
      const read = events[3] ?? {};
      expect(read["rule_id"]).toBeUndefined();
      expect(events[1]?.["rule_id"]).toBe("dev-allow-all");
      expect(events[6]?.["key_id"]).toBeUndefined();
      expect(events[0]?.["caller_ou"]).toBe("team:forge");
      expect(events[1]?.["caller_ou"]).toBeUndefined();
    } finally {
      await h.stop();
    }
  });
});

describe("server.json state", () => {
  test("write/read round-trips, removal only by the recorded pid, liveness by signal 0", () => {
    const dir = mkdtempSync(join(tmpdir(), "kpm-state-"));
    expect(readServerState(dir)).toBeNull();
    const state = { pid: process.pid, addr: "127.0.0.1:8443", dir, started_at: "2026-11-28T20:00:00Z" };
    writeServerState(dir, state);
    expect(statSync(serverStatePath(dir)).mode & 0o777).toBe(0o600);
    expect(readServerState(dir)).toEqual(state);
    removeServerState(dir, process.pid + 1);
    expect(readServerState(dir)).toEqual(state);
    removeServerState(dir, process.pid);
    expect(readServerState(dir)).toBeNull();
    removeServerState(dir, process.pid);
    writeFileSync(serverStatePath(dir), "{not json");
    expect(readServerState(dir)).toBeNull();
    writeFileSync(serverStatePath(dir), '{"pid":"1"}');
    expect(readServerState(dir)).toBeNull();
    rmSync(dir, { recursive: true, force: true });
  });
});
