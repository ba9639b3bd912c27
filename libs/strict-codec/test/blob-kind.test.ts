import { expect, test } from "bun:test";
import fc from "fast-check";
import { blobKind, encryptValue, formatStrictBlob, generateSessionKey } from "../src/index.ts";

test("an ENC blob is encrypted and a strict blob is strict", () => {
  expect(blobKind(encryptValue(generateSessionKey(), "s1", "v"))).toBe("encrypted");
  expect(blobKind(formatStrictBlob("strict-1", { Type: "kv", Path: "a/b", Key: "c", Default: "" }))).toBe(
    "strict",
  );
});

test("values that only look like blobs are not kpm-managed", () => {
  for (const value of [
    "",
    "plain",
    "ENC[kpm:",
    "ENC[kpm:s1:not base64!]",
    "ENC[kpm::AAAA]",
    "ENC[kpm-strict:s1:AAAA]",
    "ENC[kpm-strict:s1:e30]",
    "ENC[other:s1:AAAA]",
  ]) {
    expect(blobKind(value)).toBeNull();
  }
});

test("arbitrary text is never classified as a blob", () => {
  fc.assert(
    fc.property(fc.string(), (value) => {
      expect(blobKind(`x${value}`)).toBeNull();
    }),
  );
});
