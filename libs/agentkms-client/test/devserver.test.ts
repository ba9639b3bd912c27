// The client against the real embedded dev server (@kpm/agentkms-dev): every route kpm uses, token
// expiry with re-authentication, and single-flight authentication counted in the server's audit log.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { enroll, type RunningServer, setDevSecret, startDevServer } from "@kpm/agentkms-dev";
import { type AgentKmsClient, type ClientConfig, createClient, resolveBatch } from "../src/index.ts";

let dir: string;
let server: RunningServer;
let config: ClientConfig;
let client: AgentKmsClient;

function authEvents(): number {
  return readFileSync(join(dir, "audit.ndjson"), "utf8")
    .split("\n")
    .filter((line) => line !== "")
    .map((line) => JSON.parse(line) as { operation?: string })
    .filter((event) => event.operation === "auth").length;
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "kpm-client-devserver-"));
  await enroll(dir);
  await setDevSecret(dir, "generic/db/prod", { host: "db.invalid", password: "pw-1" });
  await setDevSecret(dir, "llm/anthropic", { api_key: "sk-dev-anthropic" });
  server = await startDevServer({ dir, host: "127.0.0.1", port: 0, tokenTtlSeconds: 1 });
  const clientDir = join(dir, "clients", "forge-gateway");
  config = {
    server: `https://127.0.0.1:${server.port}`,
    cert: join(clientDir, "client.crt"),
    key: join(clientDir, "client.key"),
    ca: join(dir, "ca.crt"),
  };
  client = createClient(config);
});

afterAll(async () => {
  client.close();
  await server.close(0);
  rmSync(dir, { recursive: true, force: true });
});

describe("against the dev server", () => {
  test("health check", async () => {
    expect(await client.healthz()).toBe(true);
  });

  test("credential vending: llm and generic", async () => {
    expect((await client.fetchLLM("anthropic")).api_key).toBe("sk-dev-anthropic");
    expect(await client.fetchGeneric("db/prod")).toEqual({ host: "db.invalid", password: "pw-1" });
    const error = await client.fetchGeneric("nope/missing").catch((caught: unknown) => caught);
    expect(error).toMatchObject({
      notFound: true,
      message: "fetch generic/nope/missing: not found (key_not_found)",
    });
  });

  test("registry lifecycle: write, update, metadata, read, history, list, delete, purge", async () => {
    expect(await client.getMetadata("cloudflare/dns-token")).toBeNull();
    const created = await client.writeSecret("cloudflare/dns-token", { value: "v1" });
    expect(created).toMatchObject({
      path: "cloudflare/dns-token",
      service: "cloudflare",
      name: "dns-token",
      version: 1,
    });
    expect((await client.writeSecret("cloudflare/dns-token", { value: "v2" })).version).toBe(2);
    const described = await client.writeMetadata("cloudflare/dns-token", {
      description: "DNS",
      tags: ["dns", "cf"],
      type: "api-token",
    });
    expect(described).toMatchObject({
      description: "DNS",
      tags: ["dns", "cf"],
      type: "api-token",
      version: 2,
    });
    expect(await client.fetchRegistrySecret("cloudflare/dns-token")).toEqual({ value: "v2" });
    const history = await client.history("cloudflare/dns-token");
    expect(history.versions?.map((entry) => entry.version)).toEqual([1, 2]);
    expect((await client.listMetadata()).map((entry) => entry.path)).toContain("cloudflare/dns-token");

    await client.deleteSecret("cloudflare/dns-token");
    expect((await client.getMetadata("cloudflare/dns-token"))?.deleted).toBe(true);
    expect((await client.listMetadata()).map((entry) => entry.path)).not.toContain("cloudflare/dns-token");
    expect((await client.listMetadata({ includeDeleted: true })).map((entry) => entry.path)).toContain(
      "cloudflare/dns-token",
    );

    await client.deleteSecret("cloudflare/dns-token", { purge: true });
    expect(await client.getMetadata("cloudflare/dns-token")).toBeNull();
    await expect(client.fetchRegistrySecret("cloudflare/dns-token")).rejects.toThrow(
      "secret not found: cloudflare/dns-token",
    );
  });

  test("paths with # and ? reach the server intact", async () => {
    await client.writeSecret("odd/a#b?c d", { value: "odd" });
    expect(await client.fetchRegistrySecret("odd/a#b?c d")).toEqual({ value: "odd" });
    expect((await client.getMetadata("odd/a#b?c d"))?.name).toBe("a#b?c d");
  });

  test("references resolve against the real routes", async () => {
    await client.writeSecret("db/analytics", { host: "analytics.invalid", port: "5432" });
    const results = await resolveBatch(client, [
      { type: "kv", path: "db/prod", key: "password" },
      { type: "llm", path: "anthropic" },
      { type: "db", path: "analytics", key: "port" },
      { type: "db", path: "analytics", default: "unused" },
      { type: "svc", path: "missing", default: "fallback" },
    ]);
    expect(results.map((result) => (result.ok ? result.value : result.error.message))).toEqual([
      "pw-1",
      "sk-dev-anthropic",
      "5432",
      'multi-field secret at "db/analytics", specify field with #key',
      "fallback",
    ]);
  });

  test("an expired token is renewed once and the call succeeds", async () => {
    const fresh = createClient(config);
    try {
      await fresh.fetchGeneric("db/prod");
      const before = authEvents();
      // The token lives 1 s and the server compares whole seconds: wait until it is surely expired.
      await Bun.sleep(2100);
      expect(await fresh.fetchGeneric("db/prod")).toMatchObject({ host: "db.invalid" });
      expect(authEvents()).toBe(before + 1);
    } finally {
      fresh.close();
    }
  });

  test("a token is renewed shortly before the expiry the server announced (expires_in)", async () => {
    const fresh = createClient(config);
    try {
      expect(fresh.sessionExpiresAt?.()).toBeNull();
      const start = Date.now();
      await fresh.fetchGeneric("db/prod");
      const expiresAt = fresh.sessionExpiresAt?.() ?? 0;
      expect(expiresAt).toBeGreaterThanOrEqual(start + 1000);
      expect(expiresAt).toBeLessThanOrEqual(Date.now() + 1000);
      const before = authEvents();
      // Inside the last tenth of the 1 s token: renewed before use, while still valid.
      await Bun.sleep(Math.max(0, expiresAt - 50 - Date.now()));
      expect(await fresh.fetchGeneric("db/prod")).toMatchObject({ host: "db.invalid" });
      expect(authEvents()).toBe(before + 1);
      expect(fresh.sessionExpiresAt?.() ?? 0).toBeGreaterThan(expiresAt);
    } finally {
      fresh.close();
    }
  });

  test("20 concurrent calls on a new client authenticate once", async () => {
    const fresh = createClient(config);
    try {
      const before = authEvents();
      const results = await Promise.all(Array.from({ length: 20 }, () => fresh.fetchGeneric("db/prod")));
      expect(results.every((fields) => fields.host === "db.invalid")).toBe(true);
      expect(authEvents()).toBe(before + 1);
    } finally {
      fresh.close();
    }
  });

  test("a client certificate from another dev PKI is refused at the handshake", async () => {
    const otherDir = mkdtempSync(join(tmpdir(), "kpm-client-otherpki-"));
    try {
      await enroll(otherDir);
      const otherClient = join(otherDir, "clients", "forge-gateway");
      const intruder = createClient({
        ...config,
        cert: join(otherClient, "client.crt"),
        key: join(otherClient, "client.key"),
      });
      await expect(intruder.authenticate()).rejects.toThrow(
        "authenticate: TLS handshake failed (client certificate rejected, TLS version < 1.3, or not a TLS port)",
      );
      const wrongCa = createClient({ ...config, ca: join(otherDir, "ca.crt") });
      await expect(wrongCa.authenticate()).rejects.toThrow(
        "authenticate: server certificate is not signed by the configured CA",
      );
    } finally {
      rmSync(otherDir, { recursive: true, force: true });
    }
  });
});
