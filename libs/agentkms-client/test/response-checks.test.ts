// Each fast check against the zod schema it stands in for: on JSON input, the same verdict and
// exactly the same output (unknown keys dropped, key order kept).
import { describe, expect, test } from "bun:test";
import fc from "fast-check";
import {
  checkGenericCredential,
  checkLlmCredential,
  checkSession,
  checkStringMap,
} from "../src/response-checks.ts";
import {
  genericCredentialSchema,
  llmCredentialSchema,
  secretFieldsSchema,
  sessionSchema,
} from "../src/schemas.ts";

interface Schema {
  safeParse(value: unknown): { success: true; data: unknown } | { success: false };
}

/** Whether a `__proto__` own key appears anywhere in the value (the checks leave those to zod). */
function hasProtoKey(value: unknown): boolean {
  if (typeof value !== "object" || value === null) return false;
  if (Object.hasOwn(value, "__proto__")) return true;
  return Object.values(value).some(hasProtoKey);
}

function sameAnswers(check: (body: unknown) => unknown, schema: Schema, input: unknown): void {
  const fast = check(input);
  const slow = schema.safeParse(input);
  // Never accepts what zod refuses; declines what zod accepts only for a __proto__ key.
  if (!slow.success) expect(fast).toBeUndefined();
  if (fast === undefined) {
    if (slow.success) expect(hasProtoKey(input)).toBe(true);
    return;
  }
  if (!slow.success) return;
  expect(fast).toStrictEqual(slow.data as object);
  expect(Object.keys(fast as object)).toEqual(Object.keys(slow.data as object));
}

/** A JSON object with `shape`'s keys (each present or not), mutated now and then, plus noise. */
function around(shape: Record<string, fc.Arbitrary<unknown>>): fc.Arbitrary<unknown> {
  const valid = fc.record({ ...shape, extra: fc.jsonValue() }, { requiredKeys: [] });
  const mutated = fc
    .tuple(valid, fc.constantFrom(...Object.keys(shape)), fc.jsonValue())
    .map(([record, key, value]) => ({ ...record, [key]: value }));
  return fc.oneof(valid, mutated, fc.jsonValue(), fc.constantFrom<unknown>(null, [], "x", 1, {}));
}

const stringMap = fc.oneof(
  fc.dictionary(fc.string(), fc.string()),
  fc.dictionary(fc.string(), fc.oneof(fc.string(), fc.jsonValue())),
  fc.constantFrom<unknown>({ "1": "a", b: "c", "0": "d" }, JSON.parse('{"__proto__":"x"}'), { a: null }),
);

const cases: Array<[string, (body: unknown) => unknown, Schema, fc.Arbitrary<unknown>]> = [
  ["checkSession", checkSession, sessionSchema, around({ token: fc.oneof(fc.string(), fc.constant("")) })],
  ["checkStringMap", checkStringMap, secretFieldsSchema, fc.oneof(stringMap, fc.jsonValue())],
  ["checkGenericCredential", checkGenericCredential, genericCredentialSchema, around({ secrets: stringMap })],
  [
    "checkLlmCredential",
    checkLlmCredential,
    llmCredentialSchema,
    around({ provider: fc.string(), api_key: fc.string() }),
  ],
];

describe("fast checks agree with their zod schemas", () => {
  for (const [name, check, schema, bodies] of cases) {
    test(`${name}: same verdict and output on generated bodies`, () => {
      fc.assert(
        fc.property(bodies, (body) => sameAnswers(check, schema, body)),
        { numRuns: 2000 },
      );
    });
  }

  test("the usual bodies take the fast path", () => {
    expect(checkSession({ token: "t", expires_at: "x" })).toEqual({ token: "t" });
    expect(checkStringMap({ value: "v", user: "u" })).toEqual({ value: "v", user: "u" });
    expect(checkGenericCredential({ secrets: { a: "1" }, ttl: 3600 })).toEqual({ secrets: { a: "1" } });
    expect(checkLlmCredential({ provider: "anthropic", api_key: "k", ttl: 1 })).toEqual({
      provider: "anthropic",
      api_key: "k",
    });
  });

  test("a __proto__ field is left to zod", () => {
    expect(checkStringMap(JSON.parse('{"__proto__":"x","a":"b"}'))).toBeUndefined();
  });
});
