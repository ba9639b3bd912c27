import { describe, expect, test } from "bun:test";
import fc from "fast-check";
import { CodecError, formatStrictBlob, parseStrictBlob, type StrictRef } from "../src/index.ts";

function codecError(run: () => unknown): CodecError {
  try {
    run();
  } catch (error) {
    if (error instanceof CodecError) return error;
    throw error;
  }
  throw new Error("expected a CodecError");
}

function jsonOf(blob: string): string {
  const match = /^ENC\[kpm-strict:[^:]+:(.*)\]$/.exec(blob);
  return Buffer.from(match?.[1] ?? "", "base64").toString("utf8");
}

function strictBlob(sessionId: string, json: string): string {
  return `ENC[kpm-strict:${sessionId}:${Buffer.from(json, "utf8").toString("base64")}]`;
}

const refArbitrary = fc.record({
  Type: fc.string({ minLength: 1, unit: "grapheme" }),
  Path: fc.string({ unit: "grapheme" }),
  Key: fc.oneof(
    fc.string({ unit: "binary" }),
    fc.constantFrom("<>&", '"\\', "\u2028\u2029", "\b\f\n\r\t\u0001"),
  ),
  Default: fc.string({ unit: "grapheme" }),
});

describe("formatStrictBlob", () => {
  test("emits the exact Go json.Marshal bytes for a reference", () => {
    const blob = formatStrictBlob("strict-0a1b2c3d", {
      Type: "kv",
      Path: "db/prod",
      Key: "password",
      Default: "",
    });
    expect(blob).toBe(
      "ENC[kpm-strict:strict-0a1b2c3d:eyJUeXBlIjoia3YiLCJQYXRoIjoiZGIvcHJvZCIsIktleSI6InBhc3N3b3JkIiwiRGVmYXVsdCI6IiJ9]",
    );
    expect(jsonOf(blob)).toBe('{"Type":"kv","Path":"db/prod","Key":"password","Default":""}');
  });

  test("escapes <, >, &, U+2028 and U+2029 like Go, and control characters like JSON", () => {
    const blob = formatStrictBlob("s1", {
      Type: "kv",
      Path: "a<b>c&d",
      Key: "\u2028\u2029\n\b\u0001\u007f",
      Default: '"\\',
    });
    expect(jsonOf(blob)).toBe(
      '{"Type":"kv","Path":"a\\u003cb\\u003ec\\u0026d","Key":"\\u2028\\u2029\\n\\b\\u0001\u007f","Default":"\\"\\\\"}',
    );
  });

  test("replaces unpaired surrogates with U+FFFD as Go does for invalid UTF-8", () => {
    const blob = formatStrictBlob("s1", { Type: "kv", Path: "x\ud800y", Key: "", Default: "" });
    expect(parseStrictBlob(blob).ref.Path).toBe("x\ufffdy");
  });

  test("JSON has no whitespace and the four keys in order, for any reference", () => {
    fc.assert(
      fc.property(refArbitrary, (ref) => {
        const json = jsonOf(formatStrictBlob("s1", ref));
        expect(Object.keys(JSON.parse(json))).toEqual(["Type", "Path", "Key", "Default"]);
        expect(/[<>&\u2028\u2029]/.test(json)).toBe(false);
        expect(json.startsWith('{"Type":"')).toBe(true);
      }),
    );
  });

  test("refuses an empty session id or type", () => {
    const ref: StrictRef = { Type: "kv", Path: "a", Key: "b", Default: "" };
    expect(codecError(() => formatStrictBlob("", ref)).code).toBe("invalid_ref");
    expect(codecError(() => formatStrictBlob("a:b", ref)).code).toBe("invalid_ref");
    expect(codecError(() => formatStrictBlob("s1", { ...ref, Type: "" })).code).toBe("invalid_ref");
  });
});

describe("parseStrictBlob", () => {
  test("parse(format(ref)) returns the session id and reference, for any reference", () => {
    fc.assert(
      fc.property(refArbitrary, fc.stringMatching(/^strict-[0-9a-f]{8}$/), (ref, sessionId) => {
        const wellFormed = {
          Type: ref.Type.toWellFormed(),
          Path: ref.Path.toWellFormed(),
          Key: ref.Key.toWellFormed(),
          Default: ref.Default.toWellFormed(),
        };
        expect(parseStrictBlob(formatStrictBlob(sessionId, ref))).toEqual({ sessionId, ref: wellFormed });
      }),
    );
  });

  test("accepts field names in any case, ignores unknown keys and nulls, defaults missing fields to empty", () => {
    const blob = strictBlob("s1", '{"type":"kv","PATH":"db/prod","kEy":"password","extra":1,"Default":null}');
    expect(parseStrictBlob(blob)).toEqual({
      sessionId: "s1",
      ref: { Type: "kv", Path: "db/prod", Key: "password", Default: "" },
    });
  });

  test("case-insensitive field parsing holds for any casing", () => {
    fc.assert(
      fc.property(fc.array(fc.boolean(), { minLength: 4, maxLength: 4 }), (upper) => {
        const name = "type"
          .split("")
          .map((c, i) => (upper[i] ? c.toUpperCase() : c))
          .join("");
        expect(parseStrictBlob(strictBlob("s1", `{"${name}":"kv"}`)).ref.Type).toBe("kv");
      }),
    );
  });

  test("reports each failure with the exact ParseStrictBlob text", () => {
    const cases: Array<[string, string]> = [
      ["ENC[kpm:s1:AAAA]", "ParseStrictBlob: invalid blob format"],
      ["ENC[kpm-strict:s1:e30=", "ParseStrictBlob: invalid blob format"],
      ["ENC[kpm-strict:", "ParseStrictBlob: invalid blob format"],
      ["ENC[kpm-strict:nocolon]", "ParseStrictBlob: missing sessionID separator"],
      ["ENC[kpm-strict::e30=]", "ParseStrictBlob: missing sessionID separator"],
      ["ENC[kpm-strict:s1:e30]", "ParseStrictBlob: base64 decode: illegal base64 data at input byte 0"],
      [strictBlob("s1", "not json"), "ParseStrictBlob: unmarshal ref: invalid JSON (8 bytes)"],
      [
        strictBlob("s1", "[1]"),
        "ParseStrictBlob: unmarshal ref: cannot unmarshal array into a reference object",
      ],
      [
        strictBlob("s1", "null"),
        "ParseStrictBlob: unmarshal ref: cannot unmarshal null into a reference object",
      ],
      [
        strictBlob("s1", '"x"'),
        "ParseStrictBlob: unmarshal ref: cannot unmarshal string into a reference object",
      ],
      [
        strictBlob("s1", '{"Path":5}'),
        "ParseStrictBlob: unmarshal ref: cannot unmarshal number into field Path",
      ],
      [
        strictBlob("s1", '{"key":{}}'),
        "ParseStrictBlob: unmarshal ref: cannot unmarshal object into field Key",
      ],
    ];
    for (const [blob, message] of cases) {
      const error = codecError(() => parseStrictBlob(blob));
      expect(error.code).toBe("invalid_strict_blob");
      expect(error.message).toBe(message);
    }
  });

  test("a JSON syntax error never quotes the decoded text", () => {
    const error = codecError(() => parseStrictBlob(strictBlob("s1", "{hunter2secret")));
    expect(error.message).not.toContain("hunter2");
  });
});
