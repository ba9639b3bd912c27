// The flat-YAML recogniser: it must read exactly what the YAML parser reads on every file it
// accepts, and decline everything else. Differential property test against the real `yaml`.
import { describe, expect, test } from "bun:test";
import fc from "fast-check";
import { parse as parseYaml } from "yaml";
import { readFlatYaml } from "../src/flat-yaml.ts";

const KEYS = [
  "server",
  "cert",
  "key",
  "ca",
  "default_template",
  "audit_log",
  "confine",
  "session_key_ttl",
  "strict_idle_timeout",
  "secure_mode",
  "profile",
  "other",
  "null",
  "True",
  "_x",
];
/** Values YAML types in every way: strings, ints, floats, keywords, quotes, flow, comments, indicators. */
const VALUES = [
  "https://127.0.0.1:8443",
  "https://h/",
  "/abs/path/client.crt",
  "~/certs/ca.crt",
  "./rel/key.pem",
  "../up/x",
  "certs/client.crt",
  "a:b",
  "a:",
  "a#b",
  "a #b",
  "'quoted'",
  '"dq"',
  "[1, 2]",
  "{a: 1}",
  "&anchor x",
  "*alias",
  "!tag x",
  "|",
  ">",
  "- x",
  "-x",
  "@at",
  "%pct",
  "`tick",
  "~",
  "null",
  "Null",
  "true",
  "FALSE",
  "yes",
  "0",
  "42",
  "-7",
  "-0",
  "007",
  "0x1F",
  "0o17",
  "1.5",
  ".5",
  ".inf",
  ".NaN",
  ".env.template",
  ".x:",
  ".-x",
  "1e3",
  "+3",
  "123456789012345678901",
  "C:\\certs\\x",
  "a b",
  "",
];
const line = fc.oneof(
  fc
    .tuple(
      fc.constantFrom(...KEYS),
      fc.constantFrom(": ", ":  ", ":", " : ", ":\t"),
      fc.constantFrom(...VALUES),
    )
    .map(([key, separator, value]) => `${key}${separator}${value}`),
  fc.constantFrom(
    "",
    "# comment",
    "  # indented comment",
    "   ",
    "---",
    "  indented: x",
    "\t",
    "server: x  ",
  ),
);
const text = fc
  .array(line, { maxLength: 8 })
  .chain((lines) =>
    fc.constantFrom("\n", "\r\n").map((eol) => lines.join(eol) + (lines.length > 0 ? eol : "")),
  );

describe("readFlatYaml", () => {
  test("whenever it accepts a file, the YAML parser reads exactly the same mapping", () => {
    let accepted = 0;
    fc.assert(
      fc.property(text, (source) => {
        const flat = readFlatYaml(source);
        if (!flat) return;
        accepted++;
        expect(flat).toEqual(parseYaml(source) ?? {});
      }),
      { numRuns: 3000 },
    );
    // The generator must exercise the fast path, not only the fallback.
    expect(accepted).toBeGreaterThan(100);
  });

  test("reads what init writes: strings, integers and false", () => {
    expect(
      readFlatYaml("# c\nserver: https://127.0.0.1:8443\n\nsession_key_ttl: 600\nsecure_mode: false\n"),
    ).toEqual({
      server: "https://127.0.0.1:8443",
      session_key_ttl: 600,
      secure_mode: false,
    });
    expect(readFlatYaml("default_template: .env.template\n")).toEqual({ default_template: ".env.template" });
    expect(readFlatYaml("")).toEqual({});
  });

  test.each([
    ["a nested mapping", "profile:\n  env: x\n"],
    ["a duplicate key", "a: x\na: y\n"],
    ["CRLF line ends", "a: x\r\n"],
    ["a quoted value", "a: 'quoted'\n"],
    ["a value ending in a colon", "a: b:\n"],
    ["a capitalised boolean", "a: True\n"],
    ["null", "a: null\n"],
    ["a keyword key", "true: x\n"],
    ["a float word", "a: .inf\n"],
  ])("declines %s", (_name, source) => {
    expect(readFlatYaml(source)).toBeUndefined();
  });
});
