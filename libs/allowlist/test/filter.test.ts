import { describe, expect, test } from "bun:test";
import fc from "fast-check";
import { type Allowlist, filterEntries, formatAuditLine, matchesPattern } from "../src/index.ts";

const entries = [
  { key: "PLAIN", kms: false },
  { key: "AWS_ACCESS_KEY_ID", kms: true },
  { key: "GH_TOKEN", kms: true },
  { key: "OPENAI_API_KEY", kms: true },
  { key: "LOG_LEVEL", kms: false },
];

const allowlist: Allowlist = new Map<string, string[] | null>([
  ["ci-runner", ["AWS_*", "GH_TOKEN"]],
  ["nulled", null],
  ["empty", []],
  ["claude", ["*"]],
]);

describe("filterEntries", () => {
  test("keeps plain entries and allowed KMS entries, with one decision per KMS entry in order", () => {
    const result = filterEntries(allowlist, "ci-runner", entries);
    expect(result.kept.map((e) => e.key)).toEqual(["PLAIN", "AWS_ACCESS_KEY_ID", "GH_TOKEN", "LOG_LEVEL"]);
    expect(result.decisions).toEqual([
      { variable: "AWS_ACCESS_KEY_ID", outcome: "allowed" },
      { variable: "GH_TOKEN", outcome: "allowed" },
      { variable: "OPENAI_API_KEY", outcome: "denied" },
    ]);
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

describe("matchesPattern", () => {
  test("exact names are case-sensitive", () => {
    expect(matchesPattern("GH_TOKEN", "GH_TOKEN")).toBe(true);
    expect(matchesPattern("GH_TOKEN", "gh_token")).toBe(false);
    expect(matchesPattern("GH_TOKEN", "GH_TOKEN_2")).toBe(false);
  });

  test("globs: prefix, suffix, everything and several stars", () => {
    expect(matchesPattern("AWS_*", "AWS_")).toBe(true);
    expect(matchesPattern("AWS_*", "AWS_SECRET")).toBe(true);
    expect(matchesPattern("AWS_*", "XAWS_SECRET")).toBe(false);
    expect(matchesPattern("*_TOKEN", "GH_TOKEN")).toBe(true);
    expect(matchesPattern("*_TOKEN", "GH_TOKENS")).toBe(false);
    expect(matchesPattern("*", "")).toBe(true);
    expect(matchesPattern("*", "ANYTHING")).toBe(true);
    expect(matchesPattern("A*B*C", "ABC")).toBe(true);
    expect(matchesPattern("A*B*C", "AxxBxxC")).toBe(true);
    expect(matchesPattern("A*B*C", "AxxCxxB")).toBe(false);
    expect(matchesPattern("A*B*C", "ABCB")).toBe(false);
    expect(matchesPattern("AB*BC", "ABC")).toBe(false);
    expect(matchesPattern("A**B", "AB")).toBe(true);
  });

  test("agrees with a regular-expression oracle", () => {
    const alphabet = fc.constantFrom("A", "B", "_", "1");
    const oracle = (pattern: string, name: string) =>
      new RegExp(`^${pattern.split("*").join(".*")}$`, "s").test(name);
    fc.assert(
      fc.property(
        fc.string({ unit: fc.oneof(alphabet, fc.constant("*")), maxLength: 8 }),
        fc.string({ unit: alphabet, maxLength: 10 }),
        (pattern, name) => {
          expect(matchesPattern(pattern, name)).toBe(oracle(pattern, name));
        },
      ),
      { numRuns: 2000 },
    );
  });
});

test("audit lines match §9.4, two spaces after secure_allow", () => {
  expect(formatAuditLine({ variable: "GH_TOKEN", outcome: "allowed" }, "ci-runner")).toBe(
    "kpm_audit action=secure_allow  tool=ci-runner var=GH_TOKEN outcome=allowed",
  );
  expect(formatAuditLine({ variable: "OPENAI_API_KEY", outcome: "denied" }, "ci-runner")).toBe(
    "kpm_audit action=secure_filter tool=ci-runner var=OPENAI_API_KEY outcome=denied",
  );
});
