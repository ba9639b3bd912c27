// The secret-value rule, held to the runtime it protects: what the predicate refuses is exactly
// what Bun.spawn rejects or rewrites, and Bun's own error quotes the value (why kpm checks first).
import { describe, expect, test } from "bun:test";
import fc from "fast-check";
import { canPassInEnvironment, MAX_ENV_STRING_BYTES, secretValueProblem } from "../src/index.ts";

const MARKER = "MARKER_7f3a9c";

/** What a real child sees for NAME=value: its value, or the error Bun.spawn threw. */
function childSees(name: string, value: string): { value: string | null } | { error: Error } {
  try {
    const result = Bun.spawnSync(["/usr/bin/env", "-0"], { env: { [name]: value }, stdout: "pipe" });
    const entries = new TextDecoder().decode(result.stdout).split("\0");
    const entry = entries.find((line) => line.startsWith(`${name}=`));
    return { value: entry === undefined ? null : entry.slice(name.length + 1) };
  } catch (error) {
    return { error: error as Error };
  }
}

describe("secretValueProblem", () => {
  const refused: [string, string][] = [
    [`${MARKER}\0tail`, "contains a NUL byte"],
    ["\0", "contains a NUL byte"],
    [`${MARKER}\ud800`, "is not valid UTF-8"],
    [`\udc00${MARKER}`, "is not valid UTF-8"],
    ["\udc00\ud800", "is not valid UTF-8"],
    // NUL is named first: it is the problem no encoding of the value can fix.
    ["\ud800\0", "contains a NUL byte"],
  ];
  for (const [value, problem] of refused) {
    test(`refuses ${JSON.stringify(value)}: ${problem}`, () => {
      expect(secretValueProblem(value)).toBe(problem as never);
    });
  }

  const accepted = ["", "sk-abc", "a=b", "line1\nline2\r\n", "tab\there", "ünïcode ✓ 😀", "\u2028", "\uffff"];
  for (const value of accepted) {
    test(`accepts ${JSON.stringify(value)}`, () => {
      expect(secretValueProblem(value)).toBeNull();
    });
  }

  test("the problem text never contains the value", () => {
    fc.assert(
      fc.property(fc.string({ unit: "binary", minLength: 1 }), (value) => {
        const problem = secretValueProblem(`${MARKER}${value}`);
        return problem === null || !problem.includes(MARKER);
      }),
    );
  });
});

describe("canPassInEnvironment", () => {
  test("refuses NUL in the value or the name and unpaired surrogates", () => {
    expect(canPassInEnvironment("X", `${MARKER}\0`)).toBe(false);
    expect(canPassInEnvironment(`X\0Y`, "v")).toBe(false);
    expect(canPassInEnvironment("X", `${MARKER}\ud83d`)).toBe(false);
    expect(canPassInEnvironment("X", "a\nb=c 😀")).toBe(true);
  });

  test("Linux: NAME=value plus its terminator fits in MAX_ARG_STRLEN, counted in UTF-8 bytes", () => {
    const room = MAX_ENV_STRING_BYTES - "X=".length - 1;
    expect(canPassInEnvironment("X", "a".repeat(room), "linux")).toBe(true);
    expect(canPassInEnvironment("X", "a".repeat(room + 1), "linux")).toBe(false);
    expect(canPassInEnvironment("XY", "a".repeat(room), "linux")).toBe(false);
    // "é" is 2 bytes: half as many characters fill the same room.
    const half = Math.floor(room / 2);
    expect(canPassInEnvironment("X", "é".repeat(half), "linux")).toBe(true);
    expect(canPassInEnvironment("X", `${"é".repeat(half)}é`, "linux")).toBe(false);
  });

  test("other platforms have no per-variable limit (only the total, which spawn reports)", () => {
    expect(canPassInEnvironment("X", "a".repeat(MAX_ENV_STRING_BYTES * 2), "darwin")).toBe(true);
    expect(canPassInEnvironment("X", "\0", "darwin")).toBe(false);
  });
});

describe("the runtime without the check (why the predicate exists)", () => {
  test("Bun.spawn refuses a NUL byte with an error whose message quotes the secret", () => {
    const seen = childSees("X", `${MARKER}\0tail`);
    expect("error" in seen && seen.error.message).toContain(MARKER);
  });

  test("Bun.spawn rewrites an unpaired surrogate to U+FFFD: the child gets another value", () => {
    expect(childSees("X", `${MARKER}\ud800`)).toEqual({ value: `${MARKER}\ufffd` });
  });

  test.skipIf(process.platform !== "linux")("a value past the Linux limit fails with E2BIG", () => {
    const room = MAX_ENV_STRING_BYTES - "X=".length - 1;
    expect(childSees("X", "a".repeat(room))).toEqual({ value: "a".repeat(room) });
    const seen = childSees("X", "a".repeat(room + 1));
    expect("error" in seen && (seen.error as NodeJS.ErrnoException).code).toBe("E2BIG");
  });

  test("oracle: a value passes exactly when a real child receives it unchanged", () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.string({ unit: "binary", maxLength: 12 }),
          fc.string({ unit: "grapheme", maxLength: 12 }),
          fc.constantFrom("\0", "a\0b", "\ud800", "x\udfff", "="),
        ),
        (value) => {
          const seen = childSees("KPM_ORACLE", value);
          const unchanged = "value" in seen && seen.value === value;
          expect(canPassInEnvironment("KPM_ORACLE", value)).toBe(unchanged);
        },
      ),
      { numRuns: 60 },
    );
  });
});
