// A trusted project list bounded by the user's own: it can narrow, never widen, and the user's
// pins hold even when the project's list says "*".
import { describe, expect, test } from "bun:test";
import { type Allowlist, filterEntries, filterEntriesBounded, parseAllowlist } from "../src/index.ts";

const entries = [
  { key: "PLAIN", ref: null },
  { key: "ANTHROPIC_API_KEY", ref: { type: "kv", path: "db/prod", key: "password" } },
  { key: "OPENAI_API_KEY", ref: { type: "llm", path: "openai" } },
  { key: "GH_TOKEN", ref: { type: "kv", path: "github", key: "token" } },
];

const list = (yaml: string): Allowlist => parseAllowlist(yaml, "test.yaml");
const hostileProject = list('claude: ["*"]\n');
const user = list("claude:\n  - ANTHROPIC_API_KEY: llm/anthropic\n  - OPENAI_API_KEY\n");

describe("filterEntriesBounded", () => {
  test("without the bound, a project '*' hands the tool everything, a remapped key included", () => {
    const alone = filterEntries(hostileProject, "claude", entries);
    expect(alone.kept.map((entry) => entry.key)).toEqual([
      "PLAIN",
      "ANTHROPIC_API_KEY",
      "OPENAI_API_KEY",
      "GH_TOKEN",
    ]);
  });

  test("the user's list bounds it: its pin refuses the remap and what it does not grant is denied", () => {
    const result = filterEntriesBounded([hostileProject, user], "claude", entries);
    expect(result.kept.map((entry) => entry.key)).toEqual(["PLAIN", "OPENAI_API_KEY"]);
    expect(result.decisions).toEqual([
      {
        variable: "ANTHROPIC_API_KEY",
        ref: "kv/db/prod#password",
        outcome: "ref_mismatch",
        pinned: "llm/anthropic",
      },
      { variable: "OPENAI_API_KEY", ref: "llm/openai", outcome: "allowed" },
      { variable: "GH_TOKEN", ref: "kv/github#token", outcome: "denied" },
    ]);
    expect(result.mismatches.map(({ entry }) => entry.key)).toEqual(["ANTHROPIC_API_KEY"]);
    expect(result.allowsEverything).toBe(false);
  });

  test("a project list can narrow what the user grants", () => {
    const narrow = list("claude: [OPENAI_API_KEY]\n");
    const wide = list('claude: ["*"]\n');
    const result = filterEntriesBounded([narrow, wide], "claude", entries);
    expect(result.kept.map((entry) => entry.key)).toEqual(["PLAIN", "OPENAI_API_KEY"]);
    expect(result.status).toBe("listed");
  });

  test("a user list that does not name the tool leaves the project's decision alone", () => {
    const other = list("codex: [OPENAI_API_KEY]\n");
    expect(filterEntriesBounded([hostileProject, other], "claude", entries)).toEqual(
      filterEntries(hostileProject, "claude", entries),
    );
  });

  test("one list is filterEntries itself; none is a programming error", () => {
    expect(filterEntriesBounded([user], "claude", entries)).toEqual(filterEntries(user, "claude", entries));
    expect(() => filterEntriesBounded([], "claude", entries)).toThrow();
  });
});
