import { describe, expect, test } from "bun:test";
import { type Allowlist, filterEntries, type ToolAllowlist } from "../src/index.ts";

const entries = [
  { key: "PLAIN", ref: null },
  { key: "AWS_ACCESS_KEY_ID", ref: { type: "kv", path: "aws", key: "id" } },
  { key: "GH_TOKEN", ref: { type: "kv", path: "github", key: "token" } },
  { key: "OPENAI_API_KEY", ref: { type: "llm", path: "openai" } },
  { key: "LOG_LEVEL", ref: null },
];

function rules(patterns: string[]): ToolAllowlist {
  return { patterns, pins: new Map() };
}

const allowlist: Allowlist = new Map<string, ToolAllowlist | null>([
  ["ci-runner", rules(["AWS_*", "GH_TOKEN"])],
  ["nulled", null],
  ["empty", rules([])],
  ["claude", rules(["*"])],
]);

describe("filterEntries", () => {
  test("keeps plain entries and allowed KMS entries, with one decision per KMS entry in order", () => {
    const result = filterEntries(allowlist, "ci-runner", entries);
    expect(result.kept.map((e) => e.key)).toEqual(["PLAIN", "AWS_ACCESS_KEY_ID", "GH_TOKEN", "LOG_LEVEL"]);
    expect(result.decisions).toEqual([
      { variable: "AWS_ACCESS_KEY_ID", ref: "kv/aws#id", outcome: "allowed" },
      { variable: "GH_TOKEN", ref: "kv/github#token", outcome: "allowed" },
      { variable: "OPENAI_API_KEY", ref: "llm/openai", outcome: "denied" },
    ]);
    expect(result.mismatches).toEqual([]);
    expect(result.status).toBe("listed");
    expect(result.allowsEverything).toBe(false);
  });

  test("a tool that is absent or mapped to null is not listed and gets no KMS entries", () => {
    for (const tool of ["unknown", "nulled", "CI-RUNNER"]) {
      const result = filterEntries(allowlist, tool, entries);
      expect(result.status).toBe("not_listed");
      expect(result.kept.map((e) => e.key)).toEqual(["PLAIN", "LOG_LEVEL"]);
      expect(result.decisions.every((d) => d.outcome === "denied")).toBe(true);
      expect(result.decisions).toHaveLength(3);
    }
  });

  test("a tool mapped to [] is an empty list and gets no KMS entries", () => {
    const result = filterEntries(allowlist, "empty", entries);
    expect(result.status).toBe("empty_list");
    expect(result.kept.map((e) => e.key)).toEqual(["PLAIN", "LOG_LEVEL"]);
  });

  test("a lone * allows everything and says so", () => {
    const result = filterEntries(allowlist, "claude", entries);
    expect(result.allowsEverything).toBe(true);
    expect(result.kept).toEqual(entries);
  });

  test("keeps the caller's entry objects", () => {
    const result = filterEntries(allowlist, "claude", entries);
    expect(result.kept[1]).toBe(entries[1] as (typeof entries)[number]);
  });
});

describe("filterEntries with pins", () => {
  const anthropic = { type: "llm", path: "anthropic" };
  const pinned = (patterns: string[]): Allowlist =>
    new Map([["claude", { patterns, pins: new Map([["ANTHROPIC_API_KEY", anthropic]]) }]]);
  const template = (ref: { type: string; path: string; key?: string; default?: string }) => [
    { key: "APP", ref: null },
    { key: "ANTHROPIC_API_KEY", ref },
    { key: "OPENAI_API_KEY", ref: { type: "llm", path: "openai" } },
  ];

  test("the pinned reference passes; so does the same reference with a template default", () => {
    for (const ref of [anthropic, { ...anthropic, default: "fallback" }, { ...anthropic, default: "" }]) {
      const result = filterEntries(pinned([]), "claude", template(ref));
      expect(result.kept.map((entry) => entry.key)).toEqual(["APP", "ANTHROPIC_API_KEY"]);
      expect(result.decisions[0]).toEqual({
        variable: "ANTHROPIC_API_KEY",
        ref: "llm/anthropic",
        outcome: "allowed",
      });
      expect(result.mismatches).toEqual([]);
      expect(result.status).toBe("listed");
    }
  });

  test("another path, type or #key is a ref_mismatch that names both references", () => {
    const others: Array<[{ type: string; path: string; key?: string }, string]> = [
      [{ type: "llm", path: "evil" }, "llm/evil"],
      [{ type: "kv", path: "anthropic" }, "kv/anthropic"],
      [{ type: "llm", path: "anthropic", key: "api_key" }, "llm/anthropic#api_key"],
      [{ type: "llm", path: "anthropic/x" }, "llm/anthropic/x"],
      [{ type: "svc", path: "anthropic" }, "svc/anthropic"],
    ];
    for (const [ref, name] of others) {
      const entries = template(ref);
      const result = filterEntries(pinned([]), "claude", entries);
      const decision = {
        variable: "ANTHROPIC_API_KEY",
        ref: name,
        outcome: "ref_mismatch" as const,
        pinned: "llm/anthropic",
      };
      expect(result.kept.map((entry) => entry.key)).toEqual(["APP"]);
      expect(result.decisions).toEqual([
        decision,
        { variable: "OPENAI_API_KEY", ref: "llm/openai", outcome: "denied" },
      ]);
      expect(result.mismatches).toEqual([{ entry: entries[1] as (typeof entries)[number], decision }]);
    }
  });

  test("a glob or an exact entry that also matches the pinned name does not bypass the pin", () => {
    for (const patterns of [["*"], ["ANTHROPIC_*"], ["*_KEY"], ["ANTHROPIC_API_KEY"]]) {
      const result = filterEntries(pinned(patterns), "claude", template({ type: "llm", path: "evil" }));
      expect(result.decisions[0]?.outcome).toBe("ref_mismatch");
      expect(result.kept.map((entry) => entry.key)).not.toContain("ANTHROPIC_API_KEY");
    }
    // The same globs without the pin let the other reference through: the pin is what stops it.
    const unpinned: Allowlist = new Map([["claude", { patterns: ["ANTHROPIC_*"], pins: new Map() }]]);
    const open = filterEntries(unpinned, "claude", template({ type: "llm", path: "evil" }));
    expect(open.kept.map((entry) => entry.key)).toContain("ANTHROPIC_API_KEY");
  });

  test("a glob still allows other names next to a pin", () => {
    const result = filterEntries(pinned(["OPENAI_*"]), "claude", template(anthropic));
    expect(result.kept.map((entry) => entry.key)).toEqual(["APP", "ANTHROPIC_API_KEY", "OPENAI_API_KEY"]);
  });

  test("other tools are unaffected by a pin", () => {
    const allowlist: Allowlist = new Map([
      ["claude", { patterns: [], pins: new Map([["ANTHROPIC_API_KEY", anthropic]]) }],
      ["aider", { patterns: ["ANTHROPIC_API_KEY"], pins: new Map() }],
    ]);
    const result = filterEntries(allowlist, "aider", template({ type: "llm", path: "evil" }));
    expect(result.decisions[0]?.outcome).toBe("allowed");
  });

  test("a list of pins only is not an empty list", () => {
    expect(filterEntries(pinned([]), "claude", []).status).toBe("listed");
  });
});
