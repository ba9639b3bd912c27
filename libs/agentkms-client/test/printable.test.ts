// `kpm get`'s rules (§8.5) against a real mTLS test server: bundles as sorted lines, the registry
// fallback, defaults only for "not found", and the codes the CLI words its errors by.
import { describe, expect, test } from "bun:test";
import {
  type AgentKmsClient,
  AgentKmsError,
  fieldLines,
  type KmsRefLike,
  printableRegistryValue,
  printableValue,
} from "../src/index.ts";
import { clientFixture, type Handler, sendJson, sendSession } from "./helpers/server.ts";

const generic: Record<string, Record<string, string>> = {
  "db/prod": { port: "5432", host: "db.fixture.invalid", Zeta: "z" },
  single: { value: "single-value" },
};
const registry: Record<string, Record<string, string>> = {
  "cloudflare/dns-token": { value: "cf-token" },
  "db/analytics": { port: "5432", host: "analytics.invalid" },
};

const answer: Handler = (request, response) => {
  const url = decodeURIComponent(request.url);
  if (url === "/auth/session") return sendSession(response);
  if (url.includes("denied")) return sendJson(response, 403, { error: "denied", code: "policy_denied" });
  const [, route, ...rest] = url.split("/");
  const path = rest.join("/");
  if (route === "credentials" && path.startsWith("llm/"))
    return sendJson(response, 200, { provider: path.slice(4), api_key: "sk-a" });
  if (route === "credentials" && path.startsWith("generic/")) {
    const found = generic[path.slice(8)];
    if (!found) return sendJson(response, 404, { error: "not found", code: "key_not_found" });
    return sendJson(response, 200, { path: path.slice(8), secrets: found });
  }
  const found = route === "secrets" ? registry[path] : undefined;
  if (!found) return sendJson(response, 404, { error: "secret not found", code: "key_not_found" });
  return sendJson(response, 200, found);
};

const fixture = clientFixture(answer);

async function failure(ref: KmsRefLike): Promise<AgentKmsError> {
  try {
    const value = await printableValue(fixture.client, ref);
    throw new Error(`expected a failure, got ${JSON.stringify(value)}`);
  } catch (error) {
    if (!(error instanceof AgentKmsError)) throw error;
    return error;
  }
}

describe("fieldLines and printableRegistryValue", () => {
  test("fields print as key=value lines in code-point order, without a trailing newline", () => {
    expect(fieldLines({ b: "2", a: "1", B: "3" })).toBe("B=3\na=1\nb=2");
    expect(fieldLines({})).toBe("");
  });

  test("a registry secret prints its value field, else all of its fields", () => {
    expect(printableRegistryValue({ value: "v", other: "o" })).toBe("v");
    expect(printableRegistryValue({ user: "u", host: "h" })).toBe("host=h\nuser=u");
  });
});

describe("printableValue: values", () => {
  const cases: [KmsRefLike, string][] = [
    [{ type: "kv", path: "db/prod" }, "Zeta=z\nhost=db.fixture.invalid\nport=5432"],
    [{ type: "kv", path: "db/prod", key: "host" }, "db.fixture.invalid"],
    [{ type: "llm", path: "anthropic" }, "sk-a"],
    [{ type: "cloudflare", path: "dns-token" }, "cf-token"],
    [{ type: "db", path: "analytics" }, "host=analytics.invalid\nport=5432"],
    [{ type: "db", path: "analytics", key: "port" }, "5432"],
  ];
  for (const [ref, value] of cases) {
    test(`${ref.type}/${ref.path}${ref.key ? `#${ref.key}` : ""} prints ${JSON.stringify(value)}`, async () => {
      expect(await printableValue(fixture.client, ref)).toBe(value);
    });
  }
});

describe("printableValue: defaults stand in for 'not found' only", () => {
  test("a kv path that does not exist takes the default", async () => {
    expect(await printableValue(fixture.client, { type: "kv", path: "nope", default: "d" })).toBe("d");
  });

  test("a registry secret that does not exist takes the default", async () => {
    expect(await printableValue(fixture.client, { type: "svc", path: "nope", default: "" })).toBe("");
  });

  test("a missing registry field takes the default", async () => {
    expect(
      await printableValue(fixture.client, { type: "db", path: "analytics", key: "x", default: "d" }),
    ).toBe("d");
  });

  test("a denial never takes the default", async () => {
    const kv = await failure({ type: "kv", path: "denied", default: "d" });
    expect(kv.denied).toBe(true);
    expect(kv.code).toBe("http");
    const registryDenial = await failure({ type: "svc", path: "denied", default: "d" });
    expect(registryDenial.denied).toBe(true);
  });
});

describe("printableValue: failures carry the code the CLI words them by", () => {
  test("a kv path that does not exist keeps the client's error", async () => {
    const error = await failure({ type: "kv", path: "nope" });
    expect(error.code).toBe("http");
    expect(error.notFound).toBe(true);
  });

  test("a missing kv key is missing_key", async () => {
    const error = await failure({ type: "kv", path: "db/prod", key: "x" });
    expect(error.code).toBe("missing_key");
    expect(error.message).toBe('key "x" not found at path "db/prod"');
  });

  test("a missing registry field is missing_field", async () => {
    const error = await failure({ type: "db", path: "analytics", key: "x" });
    expect(error.code).toBe("missing_field");
    expect(error.message).toBe('field "x" not found at "db/analytics"');
    expect(error.notFound).toBe(true);
  });

  test("a field named like an Object.prototype member is not there", async () => {
    expect((await failure({ type: "db", path: "analytics", key: "constructor" })).code).toBe("missing_field");
  });

  test("a failed registry fallback says the type was unknown and keeps the cause's flags", async () => {
    const missing = await failure({ type: "svc", path: "nope" });
    expect(missing.code).toBe("registry_fallback");
    expect(missing.message).toStartWith('unknown ref type "svc" and registry fetch failed: ');
    expect(missing.message).toContain("secret not found");
    expect(missing.notFound).toBe(true);
    expect(missing.status).toBe(404);
    const denied = await failure({ type: "svc", path: "denied" });
    expect(denied.denied).toBe(true);
    expect(denied.serverCode).toBe("policy_denied");
  });

  test("a registry fallback that fails without an AgentKmsError still reads as one", async () => {
    const broken = {
      fetchRegistrySecret: () => Promise.reject(new Error("boom")),
    } as unknown as AgentKmsClient;
    try {
      await printableValue(broken, { type: "svc", path: "x" });
      throw new Error("expected a failure");
    } catch (error) {
      expect(error).toBeInstanceOf(AgentKmsError);
      expect((error as AgentKmsError).code).toBe("registry_fallback");
      expect((error as AgentKmsError).message).toBe('unknown ref type "svc" and registry fetch failed: boom');
    }
  });
});

describe("@kpm/agentkms-client/resolve", () => {
  test("exports the same rules and error class as the package root, without the transport", async () => {
    const light = await import("../src/resolve-index.ts");
    const root = await import("../src/index.ts");
    expect(light.printableValue).toBe(root.printableValue);
    expect(light.resolveBatch).toBe(root.resolveBatch);
    expect(light.AgentKmsError).toBe(root.AgentKmsError);
  });
});
