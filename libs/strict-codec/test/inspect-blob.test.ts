import { expect, test } from "bun:test";
import fc from "fast-check";
import { encryptValue, formatStrictBlob, generateSessionKey, inspectBlob } from "../src/index.ts";

test("an ENC blob is encrypted and a strict blob is strict, each with its session id", () => {
  expect(inspectBlob(encryptValue(generateSessionKey(), "s1", "v"))).toEqual({
    ok: true,
    kind: "encrypted",
    sessionId: "s1",
  });
  expect(
    inspectBlob(formatStrictBlob("strict-1", { Type: "kv", Path: "a/b", Key: "c", Default: "" })),
  ).toEqual({ ok: true, kind: "strict", sessionId: "strict-1" });
});

test("a value that starts like a blob but does not parse carries the parse error", () => {
  for (const value of [
    "ENC[kpm:",
    "ENC[kpm:s1:not base64!]",
    "ENC[kpm::AAAA]",
    "ENC[kpm-strict:s1:AAAA]",
    "ENC[kpm-strict:s1:e30]",
  ]) {
    const inspection = inspectBlob(value);
    expect(inspection?.ok).toBe(false);
    expect(inspection?.ok === false && inspection.error.length > 0).toBe(true);
  }
});

test("values that do not start like a blob are not inspected", () => {
  for (const value of ["", "plain", "ENC[other:s1:AAAA]", "ENC[kpm", "enc[kpm:s1:AAAA]"]) {
    expect(inspectBlob(value)).toBeNull();
  }
  fc.assert(
    fc.property(fc.string(), (value) => {
      expect(inspectBlob(`x${value}`)).toBeNull();
    }),
  );
});
