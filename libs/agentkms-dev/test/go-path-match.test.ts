// Go's path.Match as the policy's caller_id_pattern uses it, checked against the table of Go's own
// path/match_test.go (results and ErrBadPattern rows), plus AgentKMS's reversed-range refusal.
import { describe, expect, test } from "bun:test";
import fc from "fast-check";
import { globProblem, matchGlob } from "../src/go-path-match.ts";

/** [pattern, name, matches, bad pattern] — Go's matchTests. */
const GO_MATCH_TESTS: Array<[string, string, boolean, boolean]> = [
  ["abc", "abc", true, false],
  ["*", "abc", true, false],
  ["*c", "abc", true, false],
  ["a*", "a", true, false],
  ["a*", "abc", true, false],
  ["a*", "ab/c", false, false],
  ["a*/b", "abc/b", true, false],
  ["a*/b", "a/c/b", false, false],
  ["a*b*c*d*e*/f", "axbxcxdxe/f", true, false],
  ["a*b*c*d*e*/f", "axbxcxdxexxx/f", true, false],
  ["a*b*c*d*e*/f", "axbxcxdxe/xxx/f", false, false],
  ["a*b*c*d*e*/f", "axbxcxdxexxx/fff", false, false],
  ["a*b?c*x", "abxbbxdbxebxczzx", true, false],
  ["a*b?c*x", "abxbbxdbxebxczzy", false, false],
  ["ab[c]", "abc", true, false],
  ["ab[b-d]", "abc", true, false],
  ["ab[e-g]", "abc", false, false],
  ["ab[^c]", "abc", false, false],
  ["ab[^b-d]", "abc", false, false],
  ["ab[^e-g]", "abc", true, false],
  ["a\\*b", "a*b", true, false],
  ["a\\*b", "ab", false, false],
  ["a?b", "a☺b", true, false],
  ["a[^a]b", "a☺b", true, false],
  ["a???b", "a☺b", false, false],
  ["a[^a][^a][^a]b", "a☺b", false, false],
  ["[a-ζ]*", "α", true, false],
  ["*[a-ζ]", "A", false, false],
  ["a?b", "a/b", false, false],
  ["a*b", "a/b", false, false],
  ["[\\]a]", "]", true, false],
  ["[\\-]", "-", true, false],
  ["[x\\-]", "x", true, false],
  ["[x\\-]", "-", true, false],
  ["[x\\-]", "z", false, false],
  ["[\\-x]", "x", true, false],
  ["[\\-x]", "-", true, false],
  ["[\\-x]", "a", false, false],
  ["[]a]", "]", false, true],
  ["[-]", "-", false, true],
  ["[x-]", "x", false, true],
  ["[x-]", "-", false, true],
  ["[x-]", "z", false, true],
  ["[-x]", "x", false, true],
  ["[-x]", "-", false, true],
  ["[-x]", "a", false, true],
  ["\\", "a", false, true],
  ["[a-b-c]", "a", false, true],
  ["[", "a", false, true],
  ["[^", "a", false, true],
  ["[^bc", "a", false, true],
  ["a[", "a", false, true],
  ["a[", "ab", false, true],
  ["a[", "x", false, true],
  ["a/b[", "x", false, true],
  ["*x", "xxx", true, false],
];

describe("matchGlob", () => {
  test("agrees with every row of Go's path.Match test table", () => {
    for (const [pattern, name, matches, bad] of GO_MATCH_TESTS) {
      const got = { matches: matchGlob(pattern, name), bad: globProblem(pattern) !== null };
      expect({ pattern, name, ...got }).toEqual({ pattern, name, matches, bad });
    }
  });

  test("'*' and '?' never match '/'; the whole name must match", () => {
    expect(matchGlob("ci-*", "ci-main")).toBe(true);
    expect(matchGlob("ci-*", "ci-a/b")).toBe(false);
    expect(matchGlob("a?c", "abc")).toBe(true);
    expect(matchGlob("a?c", "a/c")).toBe(false);
    expect(matchGlob("*/*", "a/b")).toBe(true);
    expect(matchGlob("*", "")).toBe(true);
    expect(matchGlob("?", "")).toBe(false);
    expect(matchGlob("a*", "b")).toBe(false);
    expect(matchGlob("ab", "abc")).toBe(false);
  });

  test("character classes: ranges, negation, escapes; a class never matches '/' unless it names it", () => {
    expect(matchGlob("[a-c]x", "bx")).toBe(true);
    expect(matchGlob("[^a-c]x", "bx")).toBe(false);
    expect(matchGlob("[^a-c]x", "dx")).toBe(true);
    expect(matchGlob("[^a]", "/")).toBe(true);
    expect(matchGlob("[\\]]", "]")).toBe(true);
    expect(matchGlob("[!a]", "!")).toBe(true);
    expect(matchGlob("[!a]", "b")).toBe(false);
  });

  test("a malformed pattern matches nothing, not even its own text", () => {
    expect(matchGlob("[", "[")).toBe(false);
    expect(matchGlob("a\\", "a\\")).toBe(false);
  });

  test("property: a pattern with every metacharacter escaped matches exactly its text", () => {
    fc.assert(
      fc.property(fc.string(), fc.string(), (text, other) => {
        const pattern = text.replace(/[\\*?[\]]/g, (c) => `\\${c}`);
        expect(matchGlob(pattern, text)).toBe(true);
        if (other !== text) expect(matchGlob(pattern, other)).toBe(false);
      }),
    );
  });

  test("property: '*' matches any text without '/'", () => {
    fc.assert(fc.property(fc.string(), (text) => expect(matchGlob("*", text)).toBe(!text.includes("/"))));
  });
});

describe("globProblem", () => {
  test("names why a pattern is malformed", () => {
    expect(globProblem("a\\")).toBe("trailing backslash");
    expect(globProblem("[a\\")).toBe("trailing backslash");
    expect(globProblem("[]")).toBe("malformed character class");
    expect(globProblem("[a-]")).toBe("malformed character class");
    expect(globProblem("[abc")).toBe("unterminated character class");
    expect(globProblem("ok-[a-z]*")).toBeNull();
  });

  test("refuses a reversed range, which Go's path.Match would accept and never match (wire §3.5)", () => {
    expect(globProblem("[z-a]")).toBe("reversed range z-a");
    expect(matchGlob("[z-a]", "m")).toBe(false);
    expect(globProblem("[a-a]")).toBeNull();
  });
});
