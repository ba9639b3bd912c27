// listedMetadata against the path it stands in for, metadataListSchema then toSecretMetadata: on JSON
// input, the same verdict and exactly the same records, key order included.
import { describe, expect, test } from "bun:test";
import fc from "fast-check";
import { toSecretMetadata } from "../src/metadata.ts";
import { listedMetadata } from "../src/metadata-list-check.ts";
import { metadataListSchema } from "../src/schemas.ts";

const FIELDS = [
  "path",
  "service",
  "name",
  "version",
  "created",
  "updated",
  "description",
  "tags",
  "type",
  "expires",
  "deleted",
] as const;

/** A record the schema accepts: every optional field present or not, plus keys it does not know. */
const validRecord = fc
  .record(
    {
      path: fc.string({ minLength: 1 }),
      service: fc.string(),
      name: fc.string(),
      version: fc.oneof(fc.integer(), fc.constantFrom(0, Number.MAX_SAFE_INTEGER, Number.MIN_SAFE_INTEGER)),
      created: fc.string(),
      updated: fc.string(),
      description: fc.string(),
      tags: fc.option(fc.array(fc.string()), { nil: null }),
      type: fc.string(),
      expires: fc.string(),
      deleted: fc.boolean(),
      rotation: fc.jsonValue(),
      owner: fc.string(),
    },
    { requiredKeys: ["path", "version"] },
  )
  // Key order as a server might send it, which need not be the schema's.
  .chain((record) =>
    fc
      .shuffledSubarray(Object.keys(record), { minLength: Object.keys(record).length })
      .map((keys) => Object.fromEntries(keys.map((key) => [key, record[key as keyof typeof record]]))),
  );

/** A valid record with one field replaced by any JSON value, or removed. */
const mutatedRecord = fc
  .tuple(validRecord, fc.constantFrom(...FIELDS), fc.option(fc.jsonValue(), { nil: undefined }))
  .map(([record, field, value]) => {
    const copy: Record<string, unknown> = { ...record };
    if (value === undefined) delete copy[field];
    else copy[field] = value;
    return copy;
  });

/** Edge values the generators above reach only by luck. */
const EDGE_RECORDS: Record<string, unknown>[] = [
  { path: "", version: 1 },
  { path: "a/b", version: 1.5 },
  { path: "a/b", version: 2 ** 53 },
  { path: "a/b", version: -(2 ** 53) },
  { path: "a/b", version: "1" },
  { path: "a/b", version: 1, tags: [1] },
  { path: "a/b", version: 1, tags: "ci" },
  { path: "a/b", version: 1, tags: null },
  { path: "a/b", version: 1, deleted: null },
  { path: "a/b", version: 1, service: null },
  { path: "a/b", version: 1, expires: 0 },
  { version: 1 },
];
const edgeRecord = fc.constantFrom(...EDGE_RECORDS);

const body = fc.oneof(
  {
    weight: 6,
    arbitrary: fc
      .array(fc.oneof(validRecord, mutatedRecord, edgeRecord), { maxLength: 6 })
      .map((secrets) => ({ secrets })),
  },
  {
    weight: 1,
    arbitrary: fc.array(validRecord, { maxLength: 3 }).map((secrets) => ({ secrets, total: secrets.length })),
  },
  { weight: 1, arbitrary: fc.jsonValue() },
  { weight: 1, arbitrary: fc.constantFrom<unknown>({}, { secrets: null }, { secrets: {} }, [], null, "x") },
);

function sameAnswers(input: unknown): void {
  const fast = listedMetadata(input);
  const slow = metadataListSchema.safeParse(input);
  expect(fast !== undefined).toBe(slow.success);
  if (fast === undefined || !slow.success) return;
  const expected = slow.data.secrets.map(toSecretMetadata);
  expect(fast).toStrictEqual(expected);
  fast.forEach((record, index) => {
    expect(Object.keys(record)).toEqual(Object.keys(expected[index] ?? {}));
  });
}

describe("listedMetadata", () => {
  test("agrees with metadataListSchema on generated bodies: same verdict, same output", () => {
    fc.assert(
      fc.property(body, (input) => sameAnswers(input)),
      { numRuns: 3000 },
    );
  });

  test("agrees on the edge values one by one", () => {
    for (const record of EDGE_RECORDS) sameAnswers({ secrets: [record] });
  });

  test("accepts a realistic list without falling back, dropping unknown keys", () => {
    const token = {
      path: "cloudflare/dns-token",
      service: "cloudflare",
      name: "dns-token",
      version: 2,
      tags: ["dns", "ci"],
      type: "api-token",
    };
    const deleted = { path: "db/prod", version: 1, tags: null, deleted: true };
    const listed = listedMetadata({ secrets: [{ ...token, owner: "x" }, deleted], next: null });
    // service and name derived from the path, the null tags list dropped, as toSecretMetadata does.
    expect(listed).toStrictEqual([
      token,
      { path: "db/prod", service: "db", version: 1, name: "prod", deleted: true },
    ]);
  });

  test("the output shares no arrays with the input", () => {
    const tags = ["a"];
    const listed = listedMetadata({ secrets: [{ path: "a/b", version: 1, tags }] });
    expect(listed?.[0]?.tags).toEqual(["a"]);
    expect(listed?.[0]?.tags).not.toBe(tags);
  });
});
