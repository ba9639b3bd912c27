// Replays responses captured from a real AgentKMS v0.3.1 agentkms-dev (shared fixtures) through the
// client: the same request line goes out, and the captured body decodes or maps to the spec text.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { type AgentKmsClient, AgentKmsError, createClient } from "../src/index.ts";
import * as schemas from "../src/schemas.ts";
import { createPki, type Pki } from "./helpers/pki.ts";
import { startTestServer, type TestServer } from "./helpers/server.ts";

const transcripts = join(import.meta.dir, "../../../test/fixtures/agentkms-dev-v0.3.1/transcripts");

interface Transcript {
  request: { method: string; path: string; body: string | null };
  response: { status: number; headers: Record<string, string>; body: string };
}

function transcript(name: string): Transcript {
  return JSON.parse(readFileSync(join(transcripts, `${name}.json`), "utf8")) as Transcript;
}

let pki: Pki;
beforeAll(() => {
  pki = createPki();
});
afterAll(() => pki.remove());

/** Serves the captured session answer, then `name`'s captured answer to every API request. */
async function replay<T>(
  name: string,
  call: (client: AgentKmsClient) => Promise<T>,
): Promise<{ server: TestServer; result: T }> {
  const captured = transcript(name);
  const session = transcript("POST_auth_session_200").response;
  const server = await startTestServer({
    cert: pki.serverCert,
    key: pki.serverKey,
    clientCa: pki.caCert,
    handler: (request, response) => {
      const answer =
        request.url === "/auth/session" && !name.startsWith("POST_auth_session")
          ? session
          : captured.response;
      response.writeHead(
        answer.status,
        answer.headers["content-type"] ? { "content-type": answer.headers["content-type"] } : {},
      );
      response.end(answer.body);
    },
  });
  try {
    const client = createClient({
      server: server.url,
      cert: pki.clientCert,
      key: pki.clientKey,
      ca: pki.caCert,
    });
    const result = await call(client);
    client.close();
    return { server, result };
  } finally {
    await server.close();
  }
}

async function replayFailure(
  name: string,
  call: (client: AgentKmsClient) => Promise<unknown>,
): Promise<AgentKmsError> {
  try {
    await replay(name, call);
  } catch (error) {
    if (error instanceof AgentKmsError) return error;
    throw error;
  }
  throw new Error(`expected ${name} to fail`);
}

function lastRequestLine(server: TestServer): string {
  const request = server.requests.at(-1);
  return `${request?.method} ${request?.url}`;
}

describe("captured successes decode through the client", () => {
  test("llm vend: the api_key", async () => {
    const { server, result } = await replay("GET_credentials_llm_200", (client) =>
      client.fetchLLM("anthropic"),
    );
    expect(result.api_key).toBe("sk-fixture-anthropic");
    expect(lastRequestLine(server)).toBe("GET /credentials/llm/anthropic");
  });

  test("generic vend: the field map, with &, < and > unescaped", async () => {
    const { result } = await replay("GET_credentials_generic_html_escaped_value_200", (client) =>
      client.fetchGeneric("app/dsn"),
    );
    expect(result.url).toEndWith("&x=<y>");
  });

  test("registry read: a multi-field secret with non-ASCII text", async () => {
    const { server, result } = await replay("GET_secrets_multifield_200", (client) =>
      client.fetchRegistrySecret("db/analytics"),
    );
    expect(result).toMatchObject({ port: "5432", tls: "true", label: "fixture-ünïcode-✓" });
    expect(lastRequestLine(server)).toBe(`GET ${transcript("GET_secrets_multifield_200").request.path}`);
  });

  test("history: archived versions then the current one", async () => {
    const { server, result } = await replay("GET_secrets_history_200", (client) =>
      client.history("cloudflare/dns-token"),
    );
    expect(result.versions?.map((entry) => entry.version)).toEqual([1, 2, 3]);
    expect(lastRequestLine(server)).toBe("GET /secrets/cloudflare/dns-token?action=history");
  });

  test("list: service/name present or derived, tags split", async () => {
    const { result } = await replay("GET_metadata_list_200", (client) => client.listMetadata());
    const standalone = result.find((entry) => entry.path === "standalone");
    expect(standalone).toMatchObject({ service: "standalone", tags: ["team", "ops", "solo"] });
    expect(standalone?.name).toBeUndefined();
    expect(result).toHaveLength(4);
  });

  test("list with deleted entries", async () => {
    const { server, result } = await replay("GET_metadata_list_include_deleted_200", (client) =>
      client.listMetadata({ includeDeleted: true }),
    );
    expect(result.find((entry) => entry.path === "legacy/old-api-key")?.deleted).toBe(true);
    expect(lastRequestLine(server)).toBe("GET /metadata?include_deleted=true");
  });

  test("metadata of a soft-deleted secret", async () => {
    const { result } = await replay("GET_metadata_soft_deleted_200", (client) =>
      client.getMetadata("legacy/old-api-key"),
    );
    expect(result).toMatchObject({ path: "legacy/old-api-key", version: 1, deleted: true });
  });

  test("write: the same request body as captured, 201 metadata back", async () => {
    const { server, result } = await replay("POST_secrets_new_201", (client) =>
      client.writeSecret("cloudflare/dns-token", { value: "fixture-cf-token-v1" }),
    );
    expect(result).toMatchObject({ path: "cloudflare/dns-token", version: 1 });
    const captured = transcript("POST_secrets_new_201").request;
    expect(server.requests.at(-1)?.body).toBe(captured.body ?? "");
  });

  test("metadata write: the same request body as captured", async () => {
    const captured = transcript("POST_metadata_200").request;
    const { server, result } = await replay("POST_metadata_200", (client) =>
      client.writeMetadata("cloudflare/dns-token", JSON.parse(captured.body ?? "{}")),
    );
    expect(result.type).toBe("api-token");
    expect(JSON.parse(server.requests.at(-1)?.body ?? "")).toEqual(JSON.parse(captured.body ?? ""));
  });

  test("soft delete: 204 with no body", async () => {
    const { server } = await replay("DELETE_secrets_soft_204", (client) =>
      client.deleteSecret("legacy/old-api-key"),
    );
    expect(lastRequestLine(server)).toBe("DELETE /secrets/legacy/old-api-key");
  });

  test("health check", async () => {
    const { result } = await replay("GET_healthz_200", (client) => client.healthz());
    expect(result).toBe(true);
  });
});

describe("captured failures map to the spec texts", () => {
  test("registry 404: secret not found", async () => {
    const error = await replayFailure("GET_secrets_unknown_404", (client) =>
      client.fetchRegistrySecret("nope/missing"),
    );
    expect(error.message).toBe("secret not found: nope/missing");
    expect(error.notFound).toBe(true);
  });

  test("metadata 404: null", async () => {
    const { result } = await replay("GET_metadata_unknown_404", (client) =>
      client.getMetadata("nope/missing"),
    );
    expect(result).toBeNull();
  });

  test("generic 404 is not found with the server's text", async () => {
    const error = await replayFailure("GET_credentials_generic_unknown_404", (client) =>
      client.fetchGeneric("nope/missing"),
    );
    expect(error.message).toBe("fetch generic/nope/missing: not found (key_not_found)");
    expect(error.notFound).toBe(true);
  });

  test("metadata write on a missing secret keeps the U+2014", async () => {
    const error = await replayFailure("POST_metadata_unknown_404", (client) =>
      client.writeMetadata("nope/missing", {}),
    );
    expect(error.message).toBe("request: secret not found — write the secret first (key_not_found)");
  });

  test("unknown route: endpoint not supported", async () => {
    const error = await replayFailure("GET_unknown_route_404", (client) => client.fetchGeneric("db/prod"));
    expect(error.message).toEndWith(
      "endpoint not supported by this AgentKMS server (404 page not found); upgrade AgentKMS to v0.3.0 or later",
    );
    expect(error.notFound).toBe(false);
  });

  test("rate limit", async () => {
    const error = await replayFailure("GET_credentials_llm_rate_limited_429", (client) =>
      client.fetchLLM("anthropic"),
    );
    expect(error.message).toBe(
      "fetch LLM anthropic: credential recently vended — retry after TTL expires (rate_limited)",
    );
  });

  test("path-cleaning redirect", async () => {
    const error = await replayFailure("POST_secrets_double_slash_307", (client) =>
      client.writeSecret("a/b", { value: "x" }),
    );
    expect(error.message).toBe("write a/b: unexpected redirect (307); kpm does not follow redirects");
  });

  test("text 405", async () => {
    const error = await replayFailure("PUT_secrets_405", (client) =>
      client.writeSecret("a/b", { value: "x" }),
    );
    expect(error.message).toBe(
      "write a/b: method not allowed (405) — this AgentKMS server does not support this operation",
    );
  });

  test("token bound to another certificate, after one re-auth", async () => {
    const error = await replayFailure("GET_secrets_token_bound_to_other_cert_401", (client) =>
      client.fetchRegistrySecret("db/analytics"),
    );
    expect(error.message).toBe(
      "fetch db/analytics: token is not bound to this client certificate (unauthorized)",
    );
  });

  test("session refused for a cert without O", async () => {
    const error = await replayFailure("POST_auth_session_cert_without_org_401", (client) =>
      client.authenticate(),
    );
    expect(error.message).toBe("authenticate: client certificate required");
  });

  test("corrupt store", async () => {
    const error = await replayFailure("GET_metadata_list_corrupt_store_500", (client) =>
      client.listMetadata(),
    );
    expect(error.message).toBe("request: internal error (internal_error)");
  });
});

describe("every captured success body matches its schema", () => {
  const pick: [RegExp, { safeParse(value: unknown): { success: boolean } }][] = [
    [/^POST_auth_session_200$/, schemas.sessionSchema],
    [/^GET_credentials_llm_.*_?200$/, schemas.llmCredentialSchema],
    [/^GET_credentials_generic_.*_?200$/, schemas.genericCredentialSchema],
    [/^GET_secrets_history.*_200$/, schemas.historySchema],
    [/^GET_secrets_.*_200$/, schemas.secretFieldsSchema],
    [/^GET_metadata_list.*_200$/, schemas.metadataListSchema],
    [/^GET_metadata(_.*)?_200$/, schemas.metadataSchema],
    [/^POST_(secrets|metadata)(_.*)?_20[01]$/, schemas.metadataSchema],
  ];
  const names = readdirSync(transcripts)
    .map((file) => file.replace(/\.json$/, ""))
    .filter((name) => /_20[01]$/.test(name) && name !== "GET_healthz_200");
  test("there are captured successes to check", () => {
    expect(names.length).toBeGreaterThan(30);
  });
  for (const name of names) {
    test(name, () => {
      const schema = pick.find(([pattern]) => pattern.test(name))?.[1];
      expect(schema).toBeDefined();
      expect(schema?.safeParse(JSON.parse(transcript(name).response.body)).success).toBe(true);
    });
  }
});

test("the leading-zero verification vend decodes as a generic credential", () => {
  const body = JSON.parse(
    readFileSync(
      join(transcripts, "../leading-zero/verification/GET_credentials_generic_lz_test_200.json"),
      "utf8",
    ),
  ) as Transcript;
  const parsed = schemas.genericCredentialSchema.parse(JSON.parse(body.response.body));
  expect(parsed.secrets.value).toBe("fixture-leading-zero");
});

test("describeIssue names the field and never a value", () => {
  const result = schemas.metadataSchema.safeParse({ path: "a", version: "sk-not-a-number" });
  expect(result.success).toBe(false);
  if (!result.success) {
    const text = schemas.describeIssue(result.error);
    expect(text).toStartWith("version: ");
    expect(text).not.toContain("sk-not-a-number");
  }
});
