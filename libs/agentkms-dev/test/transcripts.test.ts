// Replays the exchanges captured from the real agentkms-dev v0.3.1 against our server and compares
// status and body (tokens, timestamps and UUIDs normalised). Fixtures: test/fixtures/agentkms-dev-v0.3.1.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { issueClient } from "../src/pki.ts";
import { SecretStore } from "../src/store.ts";
import {
  clientCredentials,
  DevClient,
  enrolledDir,
  type Harness,
  rawRequest,
  startHarness,
} from "./helpers/dev-server.ts";

const FIXTURES = join(import.meta.dir, "../../../test/fixtures/agentkms-dev-v0.3.1");
const TRANSCRIPTS = join(FIXTURES, "transcripts");

interface Transcript {
  name: string;
  request: { method: string; path: string; headers: Record<string, string>; body: string | null };
  response: { status: number; headers: Record<string, string>; body: string };
}

function load(name: string): Transcript {
  return JSON.parse(readFileSync(join(TRANSCRIPTS, `${name}.json`), "utf8")) as Transcript;
}

/** Our deliberate fixes (wire §11, cli §15.3) and [aux] captures that need the real server's quirks. */
const SKIPPED: Record<string, string> = {
  GET_secrets_soft_deleted_still_readable_200: "fix: a soft-deleted value reads as 404",
  GET_secrets_encoded_dotdot_404: "fix: a '..' segment is rejected with 400 invalid path",
  GET_credentials_generic_trailing_slash_404: "fix: the untrimmed trailing '/' is an empty segment → 400",
  GET_credentials_generic_no_store_500: "fix: vending with no store yet → 404",
  GET_credentials_llm_no_store_500: "fix: vending with no store yet → 404",
  POST_secrets_hex_run_path_500: "fix: 64+ hex runs are rejected with 400 before anything is stored",
  GET_secrets_hex_run_path_200: "needs the hex-run value the real server stored despite its 500",
  GET_metadata_hex_run_path_500: "fix: 64+ hex runs → 400",
  GET_metadata_list_with_hex_run_path_200: "needs the hex-run secret our server refuses to store",
  GET_metadata_corrupt_store_500: "uses a 64-hex path, which we reject (400) before reading the store",
  GET_secrets_corrupt_store_404: "uses a 64-hex path, which we reject (400) before reading the store",
};

/** The capture order of the datadir/ server (fixtures README, step 5). */
const SEQUENCE =
  `POST_auth_session_200 GET_auth_session_404 GET_healthz_200 POST_healthz_404 POST_secrets_new_201
POST_secrets_update_v2_200 POST_secrets_update_v3_200 POST_metadata_200 POST_secrets_multifield_201
POST_secrets_single_segment_path_201 POST_secrets_to_soft_delete_201 DELETE_secrets_soft_204
DELETE_secrets_soft_repeat_204 POST_secrets_to_purge_201 POST_secrets_to_purge_v2_200
GET_secrets_archive_before_purge_200 DELETE_secrets_purge_204 GET_secrets_purged_404 GET_secrets_purged_archive_404
GET_metadata_purged_404 DELETE_secrets_purge_unknown_404 DELETE_secrets_unknown_404 DELETE_secrets_empty_path_400
POST_secrets_revive_201 DELETE_secrets_soft_revive_204 POST_secrets_write_undeletes_200
POST_metadata_html_chars_and_semicolon_tag_200 POST_metadata_empty_object_200 GET_secrets_value_200
GET_secrets_multifield_200 GET_secrets_soft_deleted_still_readable_200 GET_secrets_archived_version_200
GET_secrets_version_query_ignored_200 GET_secrets_percent_encoded_slash_200 GET_secrets_encoded_dotdot_404
GET_secrets_history_undeleted_200 GET_metadata_undeleted_200 GET_metadata_html_chars_200 GET_secrets_unknown_404
GET_secrets_empty_path_400 GET_secrets_history_200 GET_secrets_history_soft_deleted_200
GET_secrets_history_unknown_404 GET_secrets_history_empty_path_400 GET_metadata_list_200
GET_metadata_list_include_deleted_200 GET_metadata_list_include_deleted_not_exact_200 GET_metadata_200
GET_metadata_multifield_200 GET_metadata_soft_deleted_200 GET_metadata_unknown_404 GET_metadata_empty_path_400
POST_metadata_unknown_404 POST_metadata_empty_path_400 POST_metadata_invalid_json_400 POST_metadata_wrong_type_400
POST_secrets_empty_path_400 POST_secrets_invalid_json_400 POST_secrets_non_object_json_400
POST_secrets_empty_object_400 POST_secrets_null_body_400 POST_secrets_zero_length_body_400
POST_secrets_no_trailing_slash_307 POST_secrets_double_slash_307 GET_secrets_double_slash_307
GET_credentials_generic_double_slash_307 GET_secrets_dot_segment_307 PUT_secrets_405 PATCH_metadata_405
DELETE_metadata_list_405 DELETE_metadata_405 POST_credentials_llm_405 POST_credentials_generic_405
GET_unknown_route_404 GET_credentials_llm_empty_provider_404 GET_secrets_unknown_route_no_token_404
GET_secrets_missing_token_401 POST_secrets_missing_token_401 GET_metadata_list_missing_token_401
GET_credentials_llm_missing_token_401 GET_secrets_basic_scheme_401 GET_secrets_lowercase_bearer_401
GET_secrets_invalid_token_401 GET_secrets_tampered_token_401 GET_credentials_llm_200
GET_credentials_llm_rate_limited_429 GET_credentials_llm_uppercase_provider_200 GET_credentials_llm_not_configured_404
GET_credentials_llm_unsupported_400 GET_credentials_llm_blank_provider_400 GET_credentials_generic_200
GET_credentials_generic_rate_limited_429 GET_credentials_generic_single_field_200 GET_credentials_generic_unknown_404
GET_credentials_generic_trailing_slash_404 GET_credentials_generic_registry_path_404
GET_credentials_generic_empty_path_400 GET_secrets_generic_namespace_404 GET_credentials_generic_html_escaped_value_200`
    .split(/\s+/)
    .filter(Boolean);

const EMPTY_STORE = [
  "DELETE_secrets_empty_store_404",
  "GET_metadata_empty_store_404",
  "GET_metadata_list_empty_store_200",
  "GET_secrets_empty_store_404",
  "GET_secrets_history_empty_store_404",
  "POST_metadata_empty_store_404",
];
const CORRUPT_STORE = [
  "GET_credentials_llm_corrupt_store_500",
  "GET_metadata_list_corrupt_store_500",
  "POST_secrets_corrupt_store_500",
];
const OTHER_CERT = [
  "GET_secrets_token_bound_to_other_cert_401",
  "GET_metadata_list_token_bound_to_other_cert_401",
];
const NO_ORG = ["POST_auth_session_cert_without_org_401"];

/** The values the capture seeded with `agentkms-dev secrets set` before serving. */
async function seedCliSecrets(dir: string): Promise<void> {
  await new SecretStore(dir).update((kv) => {
    kv.set("kv/data/generic/db/prod", {
      host: "db.fixture.invalid",
      port: "5432",
      user: "fixture_user",
      password: "fixture-pg-password-1",
    });
    kv.set("kv/data/generic/app/config", { jwt_secret: "fixture-jwt-secret-1", session_timeout: "3600" });
    kv.set("kv/data/generic/github", { token: "fixture-github-token-1" });
    kv.set("kv/data/generic/app/dsn", {
      url: "postgres://fixture_user:fixture-pg-password-1@db.fixture.invalid:5432/app?sslmode=disable&x=<y>",
    });
    kv.set("kv/data/llm/anthropic", { api_key: "sk-fixture-anthropic" });
    kv.set("kv/data/llm/openai", { api_key: "sk-fixture-openai" });
  });
}

function normalise(body: string, token: string): string {
  let text = token ? body.split(token).join("<token>") : body;
  text = text.replace(/"token":"[^"]+"/, '"token":"<token>"');
  text = text.replace(/\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ/g, "<time>");
  text = text.replace(/[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}/g, "<uuid>");
  // List order is Go map order on the real server; ours is sorted by path.
  if (text.startsWith('{"secrets":[')) {
    const parsed = JSON.parse(text) as { secrets: Array<{ path: string }> };
    parsed.secrets.sort((a, b) => (a.path < b.path ? -1 : 1));
    return `${JSON.stringify(parsed)}\n`;
  }
  return text;
}

function authorization(recorded: string | undefined, token: string): Record<string, string> {
  if (recorded === undefined) return {};
  if (recorded.startsWith("Bearer <token with")) {
    const last = token.slice(-2) === "AA" ? "BB" : "AA";
    return { Authorization: `Bearer ${token.slice(0, -2)}${last}` };
  }
  return { Authorization: recorded.replace("<token>", token) };
}

async function replay(
  h: Harness,
  client: DevClient,
  t: Transcript,
): Promise<{ status: number; body: string }> {
  const reply = await rawRequest(h.server.port, client.tls, {
    method: t.request.method,
    path: t.request.path,
    headers: {
      ...authorization(t.request.headers["Authorization"], client.token),
      ...(t.request.headers["Content-Type"] ? { "Content-Type": t.request.headers["Content-Type"] } : {}),
    },
    ...(t.request.body === null ? {} : { body: t.request.body }),
  });
  return { status: reply.status, body: reply.body };
}

function expectMatch(t: Transcript, got: { status: number; body: string }, token: string): void {
  expect({ name: t.name, status: got.status, body: normalise(got.body, token) }).toEqual({
    name: t.name,
    status: t.response.status,
    body: normalise(t.response.body, "<token>"),
  });
}

test("every transcript is replayed or skipped with a documented reason", () => {
  const covered = new Set([...SEQUENCE, ...EMPTY_STORE, ...CORRUPT_STORE, ...OTHER_CERT, ...NO_ORG]);
  const all = readdirSync(TRANSCRIPTS).map((f) => f.replace(/\.json$/, ""));
  expect(all.filter((name) => !covered.has(name) && !(name in SKIPPED))).toEqual([]);
  expect(all.length).toBe(119);
});

describe("datadir capture sequence", () => {
  let h: Harness;
  beforeAll(async () => {
    const dir = await enrolledDir();
    await seedCliSecrets(dir);
    // The capture ran with agentkms-dev's default --rate-limit 60.
    h = await startHarness({ dir, rateLimitSeconds: 60 });
  });
  afterAll(async () => {
    await h.stop();
    rmSync(h.dir, { recursive: true, force: true });
  });

  test("replays in capture order with the same status and body", async () => {
    let replayed = 0;
    for (const name of SEQUENCE) {
      if (name in SKIPPED) continue;
      const t = load(name);
      const got = await replay(h, h.client, t);
      expectMatch(t, got, h.client.token);
      replayed++;
    }
    expect(replayed).toBe(SEQUENCE.length - 3);
  });
});

describe("aux captures", () => {
  test("empty store (no secrets.enc yet)", async () => {
    const h = await startHarness();
    try {
      for (const name of EMPTY_STORE)
        expectMatch(load(name), await replay(h, h.client, load(name)), h.client.token);
    } finally {
      await h.stop();
    }
  });

  test("corrupt store", async () => {
    const h = await startHarness();
    try {
      await seedCliSecrets(h.dir);
      writeFileSync(join(h.dir, "secrets.enc"), Buffer.alloc(64, 7));
      for (const name of CORRUPT_STORE)
        expectMatch(load(name), await replay(h, h.client, load(name)), h.client.token);
    } finally {
      await h.stop();
    }
  });

  test("a token used with another client's certificate, and a certificate without an organisation", async () => {
    const h = await startHarness();
    try {
      await issueClient(h.dir, "other");
      const other = new DevClient(h.server.port, clientCredentials(h.dir, "other"));
      other.token = h.client.token;
      for (const name of OTHER_CERT)
        expectMatch(load(name), await replay(h, other, load(name)), h.client.token);
      await issueClient(h.dir, "no-org", { team: "" });
      const noOrg = new DevClient(h.server.port, clientCredentials(h.dir, "no-org"));
      for (const name of NO_ORG) expectMatch(load(name), await replay(h, noOrg, load(name)), "");
    } finally {
      await h.stop();
    }
  });
});
