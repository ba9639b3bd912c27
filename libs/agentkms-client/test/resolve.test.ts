import { describe, expect, test } from "bun:test";
import {
  type AgentKmsClient,
  type AgentKmsError,
  type KmsRefLike,
  type RefResult,
  resolveBatch,
  resolveOne,
  resolveReference,
} from "../src/index.ts";
import { clientFixture, type Handler, sendJson, sendSession, sendText } from "./helpers/server.ts";

const generic: Record<string, Record<string, string>> = {
  "db/prod": { host: "db.fixture.invalid", port: "5432", password: "pw-1" },
  single: { value: "single-value" },
};
const registry: Record<string, Record<string, string>> = {
  "cloudflare/dns-token": { value: "cf-token" },
  "db/analytics": { host: "analytics.invalid", port: "5432" },
};
const llm: Record<string, Record<string, string>> = { anthropic: { api_key: "sk-a" }, nokey: {} };

const answer: Handler = (request, response) => {
  const url = decodeURIComponent(request.url);
  if (url === "/auth/session") return sendSession(response);
  // Handlers a test can aim at: a denial, a dead route, a server fault, a slow value.
  if (url.includes("denied")) return sendJson(response, 403, { error: "denied", code: "policy_denied" });
  if (url.includes("oldserver")) return sendText(response, 404, "404 page not found\n");
  if (url.includes("boom"))
    return sendJson(response, 500, { error: "internal error", code: "internal_error" });
  if (url.includes("slow")) {
    setTimeout(() => sendJson(response, 200, { value: "late" }), 20);
    return;
  }
  const [, route, ...rest] = url.split("/");
  const path = rest.join("/");
  if (route === "credentials" && path.startsWith("llm/")) {
    const provider = path.slice(4);
    const found = llm[provider];
    if (!found)
      return sendJson(response, 404, {
        error: `no credential configured for provider ${provider}`,
        code: "key_not_found",
      });
    return sendJson(response, 200, { provider, ...found });
  }
  if (route === "credentials" && path.startsWith("generic/")) {
    const found = generic[path.slice(8)];
    if (!found) return sendJson(response, 404, { error: "not found", code: "key_not_found" });
    return sendJson(response, 200, { path: path.slice(8), secrets: found });
  }
  if (route === "secrets") {
    const found = registry[path];
    if (!found) return sendJson(response, 404, { error: "secret not found", code: "key_not_found" });
    return sendJson(response, 200, found);
  }
  sendText(response, 404, "404 page not found\n");
};

const fixture = clientFixture(answer);

function apiCalls(): string[] {
  return fixture.server.requests
    .filter((request) => request.url !== "/auth/session")
    .map((request) => request.url);
}

async function countingCalls<T>(run: () => Promise<T>): Promise<{ result: T; calls: string[] }> {
  const before = apiCalls().length;
  const result = await run();
  return { result, calls: apiCalls().slice(before) };
}

function failed(result: RefResult): AgentKmsError {
  if (result.ok) throw new Error(`expected a failure, got ${JSON.stringify(result)}`);
  return result.error;
}

describe("resolveOne: values", () => {
  const cases: [KmsRefLike, string][] = [
    [{ type: "kv", path: "db/prod", key: "host" }, "db.fixture.invalid"],
    [{ type: "kv", path: "single" }, "single-value"],
    [{ type: "llm", path: "anthropic" }, "sk-a"],
    [{ type: "cloudflare", path: "dns-token" }, "cf-token"],
    [{ type: "db", path: "analytics", key: "port" }, "5432"],
  ];
  for (const [ref, value] of cases) {
    test(`${ref.type}/${ref.path}${ref.key ? `#${ref.key}` : ""} resolves to its value`, async () => {
      expect(await resolveOne(fixture.client, ref)).toEqual({ ok: true, value, fromDefault: false });
    });
  }

  test("each reference type uses its own route", async () => {
    const { calls } = await countingCalls(async () => {
      await resolveOne(fixture.client, { type: "llm", path: "anthropic" });
      await resolveOne(fixture.client, { type: "kv", path: "db/prod", key: "host" });
      await resolveOne(fixture.client, { type: "db", path: "analytics", key: "host" });
    });
    expect(calls).toEqual([
      "/credentials/llm/anthropic",
      "/credentials/generic/db/prod",
      "/secrets/db/analytics",
    ]);
  });
});

describe("resolveOne: not found and defaults", () => {
  test("a missing kv key is not found; its default stands in", async () => {
    const ref = { type: "kv", path: "db/prod", key: "user" };
    const error = failed(await resolveOne(fixture.client, ref));
    expect(error.message).toBe('key "user" not found at path "db/prod"');
    expect(error.notFound).toBe(true);
    expect(await resolveOne(fixture.client, { ...ref, default: "fallback" })).toEqual({
      ok: true,
      value: "fallback",
      fromDefault: true,
    });
  });

  test("inherited object keys are not fields", async () => {
    expect(
      failed(await resolveOne(fixture.client, { type: "kv", path: "db/prod", key: "constructor" })).notFound,
    ).toBe(true);
    expect(
      failed(await resolveOne(fixture.client, { type: "db", path: "analytics", key: "toString" })).notFound,
    ).toBe(true);
  });

  test("the empty default is a default", async () => {
    expect(await resolveOne(fixture.client, { type: "kv", path: "nope/missing", default: "" })).toEqual({
      ok: true,
      value: "",
      fromDefault: true,
    });
  });

  test("a missing registry field is not found", async () => {
    const error = failed(await resolveOne(fixture.client, { type: "db", path: "analytics", key: "user" }));
    expect(error.message).toBe('field "user" not found at "db/analytics"');
    expect(error.notFound).toBe(true);
  });

  test("a missing registry secret is not found and takes the default", async () => {
    const ref = { type: "cloudflare", path: "gone" };
    expect(failed(await resolveOne(fixture.client, ref)).message).toBe("secret not found: cloudflare/gone");
    expect(await resolveOne(fixture.client, { ...ref, default: "d" })).toMatchObject({
      ok: true,
      value: "d",
    });
  });

  test("an unconfigured llm provider (JSON 404) takes the default", async () => {
    const ref = { type: "llm", path: "google" };
    expect(failed(await resolveOne(fixture.client, ref)).message).toBe(
      "fetch LLM google: no credential configured for provider google (key_not_found)",
    );
    expect(await resolveOne(fixture.client, { ...ref, default: "d" })).toMatchObject({
      ok: true,
      value: "d",
      fromDefault: true,
    });
  });

  test("a vend without api_key is not found", async () => {
    const error = failed(await resolveOne(fixture.client, { type: "llm", path: "nokey" }));
    expect(error.message).toBe('no api_key for provider "nokey"');
    expect(error.notFound).toBe(true);
  });
});

describe("resolveOne: failures that never take the default", () => {
  test("a policy denial fails closed and is flagged denied", async () => {
    const result = await resolveOne(fixture.client, { type: "kv", path: "denied/x", default: "d" });
    expect(result.ok).toBe(false);
    if (!result.ok) {
      expect(result.denied).toBe(true);
      expect(result.error.message).toBe("fetch generic/denied/x: denied (policy_denied)");
    }
  });

  test("a plain-text 404 (old server) fails closed", async () => {
    const error = failed(await resolveOne(fixture.client, { type: "kv", path: "oldserver/x", default: "d" }));
    expect(error.message).toEndWith("upgrade AgentKMS to v0.3.0 or later");
  });

  test("a server error fails closed", async () => {
    const result = await resolveOne(fixture.client, { type: "svc", path: "boom", default: "d" });
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.denied).toBe(false);
  });

  test("a multi-field registry secret without #key fails closed", async () => {
    const error = failed(await resolveOne(fixture.client, { type: "db", path: "analytics", default: "d" }));
    expect(error.message).toBe('multi-field secret at "db/analytics", specify field with #key');
    expect(error.code).toBe("resolve");
  });

  test("a kv bundle without a value field and no key fails closed", async () => {
    const error = failed(await resolveOne(fixture.client, { type: "kv", path: "db/prod", default: "d" }));
    expect(error.message).toBe('key not specified and no "value" field at path "db/prod"');
  });

  test("an invalid path fails closed without a request", async () => {
    const { result, calls } = await countingCalls(() =>
      resolveOne(fixture.client, { type: "kv", path: "a/../b", default: "d" }),
    );
    expect(failed(result).message).toBe('invalid path "a/../b": ".." segment');
    expect(calls).toEqual([]);
  });

  test("an unexpected thrown value becomes a transport error, not a crash", async () => {
    const broken = {
      ...fixture.client,
      fetchGeneric: () => Promise.reject(new Error("boom")),
    } as AgentKmsClient;
    const error = failed(await resolveOne(broken, { type: "kv", path: "a", default: "d" }));
    expect(error.message).toBe("connection failed: unexpected error");
  });
});

describe("resolveOne does not cache", () => {
  test("the same reference twice is two requests", async () => {
    const ref = { type: "kv", path: "db/prod", key: "host" };
    const { calls } = await countingCalls(async () => {
      await resolveOne(fixture.client, ref);
      await resolveOne(fixture.client, ref);
    });
    expect(calls).toHaveLength(2);
  });
});

describe("resolveBatch", () => {
  test("each distinct path or provider is fetched once and results keep their order", async () => {
    const refs: KmsRefLike[] = [
      { type: "kv", path: "db/prod", key: "host" },
      { type: "kv", path: "db/prod", key: "port" },
      { type: "kv", path: "db/prod", key: "nope", default: "dflt" },
      { type: "db", path: "analytics", key: "host" },
      { type: "db", path: "analytics", key: "port" },
      { type: "llm", path: "anthropic" },
      { type: "llm", path: "anthropic" },
      // Same path, different namespace: separate requests.
      { type: "kv", path: "cloudflare/dns-token", default: "kv-default" },
      { type: "cloudflare", path: "dns-token" },
    ];
    const { result, calls } = await countingCalls(() => resolveBatch(fixture.client, refs));
    expect(result.map((entry) => (entry.ok ? entry.value : entry.error.message))).toEqual([
      "db.fixture.invalid",
      "5432",
      "dflt",
      "analytics.invalid",
      "5432",
      "sk-a",
      "sk-a",
      "kv-default",
      "cf-token",
    ]);
    expect(calls.sort()).toEqual([
      "/credentials/generic/cloudflare/dns-token",
      "/credentials/generic/db/prod",
      "/credentials/llm/anthropic",
      "/secrets/cloudflare/dns-token",
      "/secrets/db/analytics",
    ]);
  });

  test("an error is shared by every reference to the failed path", async () => {
    const refs = [
      { type: "kv", path: "denied/y", key: "a" },
      { type: "kv", path: "denied/y", key: "b", default: "d" },
    ];
    const { result, calls } = await countingCalls(() => resolveBatch(fixture.client, refs));
    expect(calls).toHaveLength(1);
    expect(result.every((entry) => !entry.ok && entry.denied)).toBe(true);
  });

  test("many distinct references stay within 8 requests in flight", async () => {
    const refs = Array.from({ length: 24 }, (_, index) => ({ type: "svc", path: `slow-${index}` }));
    const results = await resolveBatch(fixture.client, refs);
    expect(results.every((entry) => entry.ok && entry.value === "late")).toBe(true);
    expect(fixture.server.maxInFlight).toBeLessThanOrEqual(8);
  });

  test("an empty batch makes no requests", async () => {
    const { result, calls } = await countingCalls(() => resolveBatch(fixture.client, []));
    expect(result).toEqual([]);
    expect(calls).toEqual([]);
  });
});

describe("resolveReference", () => {
  test("returns the value", async () => {
    expect(await resolveReference(fixture.client, { type: "cloudflare", path: "dns-token" })).toBe(
      "cf-token",
    );
  });

  test("throws the reference's error", async () => {
    await expect(resolveReference(fixture.client, { type: "cloudflare", path: "gone" })).rejects.toThrow(
      "secret not found: cloudflare/gone",
    );
  });
});
