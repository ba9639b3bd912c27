import { describe, expect, test } from "bun:test";
import fc from "fast-check";
import { matchesPattern } from "../src/index.ts";

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
