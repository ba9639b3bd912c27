import { describe, expect, test } from "bun:test";
import { credentialStorePath } from "../src/index.ts";

describe("credentialStorePath", () => {
  test("llm/<provider> lives at the dev store's llm/<provider>, field api_key", () => {
    expect(credentialStorePath("llm/openai")).toEqual({
      kind: "llm",
      reference: "llm/openai",
      devPath: "llm/openai",
      field: "api_key",
    });
  });

  test("kv/<path>#<field> lives at generic/<path>; without #field the field is value", () => {
    expect(credentialStorePath("kv/db/prod#password")).toEqual({
      kind: "kv",
      reference: "kv/db/prod#password",
      devPath: "generic/db/prod",
      field: "password",
    });
    expect(credentialStorePath("kv/app/token")?.field).toBe("value");
  });

  test("registry paths, including ones that merely contain llm or kv, are not credential paths", () => {
    for (const path of ["cloudflare/dns-token", "llmx/a", "kvstore/a", "demo/llm/x", "noslash", "/llm/x"])
      expect(credentialStorePath(path)).toBeNull();
  });
});
