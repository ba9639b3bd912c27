import { describe, expect, test } from "bun:test";
import fc from "fast-check";
import { AgentKmsError, validatePath } from "../src/index.ts";
import { encodePath } from "../src/path.ts";

describe("validatePath", () => {
  const rejected: [string, string][] = [
    ["", "empty path"],
    ["/a", 'leading "/"'],
    ["a/", 'trailing "/"'],
    ["a//b", "empty segment"],
    ["a/./b", '"." segment'],
    [".", '"." segment'],
    ["a/..", '".." segment'],
    ["a\u0000b", "control character"],
    ["a\nb", "control character"],
    ["a\u007fb", "control character"],
    ["a\u0085b", "control character"],
    [`hex/${"0123456789abcdef".repeat(4)}`, "run of 64 or more hex digits"],
    [`x${"A".repeat(64)}`, "run of 64 or more hex digits"],
  ];
  for (const [path, reason] of rejected) {
    test(`rejects ${JSON.stringify(path)} with "${reason}"`, () => {
      expect(validatePath(path)).toBe(reason);
    });
  }

  const accepted = [
    "a",
    "cloudflare/dns-token",
    "a b/c#d?e",
    "..a/b..",
    "ünïcode/✓",
    `h/${"f".repeat(63)}`,
    "a%2Fb",
  ];
  for (const path of accepted) {
    test(`accepts ${JSON.stringify(path)}`, () => {
      expect(validatePath(path)).toBeNull();
    });
  }
});

describe("encodePath", () => {
  test("throws an invalid_path error quoting the path", () => {
    try {
      encodePath("a//b");
      throw new Error("not thrown");
    } catch (error) {
      expect(error).toBeInstanceOf(AgentKmsError);
      expect((error as AgentKmsError).code).toBe("invalid_path");
      expect((error as AgentKmsError).message).toBe('invalid path "a//b": empty segment');
    }
  });

  test("quotes control characters instead of printing them raw", () => {
    expect(() => encodePath("a\u001bb")).toThrow('invalid path "a\\u001bb": control character');
  });

  const segment = fc
    .string({ minLength: 1, maxLength: 12, unit: "grapheme" })
    .filter((s) => !s.includes("/"));
  const validPath = fc
    .array(segment, { minLength: 1, maxLength: 5 })
    .map((segments) => segments.join("/"))
    .filter((path) => validatePath(path) === null);

  test("every valid path round-trips segment by segment", () => {
    fc.assert(
      fc.property(validPath, (path) => {
        const encoded = encodePath(path);
        expect(encoded.split("/").map(decodeURIComponent).join("/")).toBe(path);
      }),
    );
  });

  test("an encoded path has no characters that end or restructure a URL path", () => {
    fc.assert(
      fc.property(validPath, (path) => {
        expect(encodePath(path)).not.toMatch(/[?#\s\\]|\/\/|(^|\/)\.\.?(\/|$)/);
      }),
    );
  });

  test("validatePath never throws and either accepts or names a reason", () => {
    fc.assert(
      fc.property(fc.string({ unit: "binary" }), (path) => {
        const reason = validatePath(path);
        expect(reason === null || reason.length > 0).toBe(true);
      }),
    );
  });
});
