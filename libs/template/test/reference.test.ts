import { describe, expect, test } from "bun:test";
import fc from "fast-check";
import {
  formatReference,
  type KmsRef,
  parseReference,
  referenceText,
  validateReferencePath,
} from "../src/index.ts";

describe("parseReference follows the §5.2 table", () => {
  const rows: [string, KmsRef][] = [
    ["${kms:kv/db/prod#password}", { type: "kv", path: "db/prod", key: "password" }],
    ["${kms:kv/db#pw:-fallback}", { type: "kv", path: "db", key: "pw", default: "fallback" }],
    ["${kms:llm/openai:-x}", { type: "llm", path: "openai", default: "x" }],
    ["${kms:kv/a:b#c}", { type: "kv", path: "a:b", key: "c" }],
    ["${kms:kv/a#b#c}", { type: "kv", path: "a", key: "b#c" }],
    ["${kms:kv/x#k:-a}b}", { type: "kv", path: "x", key: "k", default: "a}b" }],
    ["${kms:kv/a/b:-x#y}", { type: "kv", path: "a/b", default: "x#y" }],
    ["${kms:kv/x#k:-}", { type: "kv", path: "x", key: "k", default: "" }],
    ["${kms:my-svc/x}", { type: "my-svc", path: "x" }],
    ["${kms:svc2/x}", { type: "svc2", path: "x" }],
  ];
  for (const [input, expected] of rows) {
    test(`${input} parses to ${JSON.stringify(expected)}`, () => {
      expect(parseReference(input)).toStrictEqual(expected);
    });
  }

  for (const input of [
    "${kms:kv/}",
    "${kms:Kv/x}",
    "${kms:kv}",
    "${kms:1kv/x}",
    "${kms:kv/x",
    "x${kms:kv/x}",
    "${kms:kv/x}y",
  ]) {
    test(`${input} does not parse`, () => {
      expect(parseReference(input)).toBeNull();
    });
  }

  test("a reference without a key or default leaves both undefined", () => {
    const ref = parseReference("${kms:kv/x}");
    expect(ref).not.toBeNull();
    expect(ref && "key" in ref).toBe(false);
    expect(ref && "default" in ref).toBe(false);
  });

  test("a path may contain a closing brace", () => {
    expect(parseReference("${kms:kv/a}b}")).toStrictEqual({ type: "kv", path: "a}b" });
  });

  test("a newline never matches inside a reference, as with Go's RE2", () => {
    expect(parseReference("${kms:kv/a\nb}")).toBeNull();
    expect(parseReference("${kms:kv/a:-x\ny}")).toBeNull();
  });
});

describe("validateReferencePath", () => {
  test("accepts ordinary nested paths", () => {
    expect(validateReferencePath("db/prod")).toBeNull();
    expect(validateReferencePath("a:b/c}d/e#f")).toBeNull();
    expect(validateReferencePath("a".repeat(63).replace(/a/g, "f"))).toBeNull();
  });

  test("rejects empty segments", () => {
    expect(validateReferencePath("a//b")).toBe("empty path segment");
    expect(validateReferencePath("a/")).toBe("empty path segment");
    expect(validateReferencePath("/a")).toBe("empty path segment");
  });

  test("rejects dot segments", () => {
    expect(validateReferencePath("a/./b")).toBe('path segment "." is not allowed');
    expect(validateReferencePath("../a")).toBe('path segment ".." is not allowed');
  });

  test("rejects control characters", () => {
    expect(validateReferencePath("a\tb")).toBe("path contains a control character");
    expect(validateReferencePath("a\u007fb")).toBe("path contains a control character");
    // C1 (NEL): the client refuses it, so the template must too (@kpm/path-rules).
    expect(validateReferencePath("svc/a\u0085b")).toBe("path contains a control character");
  });

  test("rejects segments that start or end with '#'", () => {
    expect(validateReferencePath("#k")).toBe("path segment starts or ends with '#'");
    expect(validateReferencePath("a#")).toBe("path segment starts or ends with '#'");
    expect(validateReferencePath("a/#b/c")).toBe("path segment starts or ends with '#'");
  });

  test("rejects a run of 64 hex digits but not 63", () => {
    expect(validateReferencePath(`x/${"ab".repeat(32)}`)).toBe(
      "path contains a run of 64 or more hex digits",
    );
    expect(validateReferencePath(`x/${"a".repeat(63)}g${"b".repeat(63)}`)).toBeNull();
  });
});

describe("formatReference", () => {
  test("shows type/path with the key and never the default", () => {
    expect(formatReference({ type: "kv", path: "db/prod", key: "password", default: "x" })).toBe(
      "kv/db/prod#password",
    );
    expect(formatReference({ type: "llm", path: "openai" })).toBe("llm/openai");
  });

  test("referenceText writes an empty default as ':-'", () => {
    expect(referenceText({ type: "kv", path: "x", key: "k", default: "" })).toBe("${kms:kv/x#k:-}");
  });
});

describe("property: formatted references parse back", () => {
  const type = fc.stringMatching(/^[a-z][a-z0-9-]{0,8}$/);
  // Path segments without '#', ':' or '}' keep the lazy groups unambiguous; '/' joins them.
  const segment = fc.stringMatching(/^[A-Za-z0-9_.@+ -]{1,8}$/);
  const path = fc.array(segment, { minLength: 1, maxLength: 4 }).map((parts) => parts.join("/"));
  const key = fc.option(fc.stringMatching(/^[A-Za-z0-9_#.-]{1,8}$/), { nil: undefined });
  const fallback = fc.option(fc.stringMatching(/^[^\n]{0,12}$/), { nil: undefined });

  test("parseReference(referenceText(ref)) equals ref", () => {
    fc.assert(
      fc.property(type, path, key, fallback, (t, p, k, d) => {
        const ref: KmsRef = { type: t, path: p };
        if (k !== undefined) ref.key = k;
        if (d !== undefined) ref.default = d;
        expect(parseReference(referenceText(ref))).toStrictEqual(ref);
      }),
    );
  });

  test("parseReference never throws on arbitrary text", () => {
    fc.assert(
      fc.property(fc.string({ unit: "binary" }), (text) => {
        const ref = parseReference(`\${kms:${text}`);
        if (ref !== null) expect(ref.path.length).toBeGreaterThan(0);
      }),
    );
  });
});
