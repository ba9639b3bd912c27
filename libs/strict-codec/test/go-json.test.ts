import { describe, expect, test } from "bun:test";
import fc from "fast-check";
import { goJson, goJsonString } from "../src/go-json.ts";

describe("goJsonString", () => {
  test("escapes like Go: short forms, lowercase \\u00xx, HTML characters, line separators; DEL raw", () => {
    expect(goJsonString('a"b\\c\n\r\t\b\f\u0001\u001f<>&\u2028\u2029\u007f')).toBe(
      '"a\\"b\\\\c\\n\\r\\t\\b\\f\\u0001\\u001f\\u003c\\u003e\\u0026\\u2028\\u2029\u007f"',
    );
  });

  test("an unpaired surrogate becomes U+FFFD, as Go writes invalid UTF-8", () => {
    expect(goJsonString("x\ud800y")).toBe('"x\ufffdy"');
  });

  test("property: reads back as the well-formed string, with none of <>& U+2028 U+2029 raw", () => {
    fc.assert(
      fc.property(fc.string({ unit: "binary" }), (value) => {
        const json = goJsonString(value);
        expect(JSON.parse(json)).toBe(value.toWellFormed());
        expect(/[<>&\u2028\u2029]/.test(json)).toBe(false);
      }),
    );
  });
});

describe("goJson", () => {
  test("HTML escaping is on by default, as json.Marshal", () => {
    expect(goJson({ a: "<b>&", list: ["\u2028"] })).toBe('{"a":"\\u003cb\\u003e\\u0026","list":["\\u2028"]}');
  });

  test("with escapeHTML off (Encoder.SetEscapeHTML(false)) only U+2028/2029 are escaped", () => {
    expect(goJson({ error: "<x> & \u2029" }, { escapeHTML: false })).toBe('{"error":"<x> & \\u2029"}');
  });
});
