// certificateBlocks (indexOf) finds exactly the blocks the lazy regex it replaced finds.
import { expect, test } from "bun:test";
import fc from "fast-check";
import { certificateBlocks } from "../src/tls-material.ts";

const REGEX = /-----BEGIN CERTIFICATE-----[\s\S]*?-----END CERTIFICATE-----/g;

const pieces = fc.constantFrom(
  "-----BEGIN CERTIFICATE-----",
  "-----END CERTIFICATE-----",
  "-----BEGIN PRIVATE KEY-----",
  "-----BEGIN CERTIFICATE----",
  "MIIB\n",
  "\n",
  "-",
  "junk ",
);
const pemLike = fc
  .array(fc.oneof(pieces, fc.string({ maxLength: 4 })), { maxLength: 12 })
  .map((parts) => parts.join(""));

test("same blocks as the regex, in the same order", () => {
  fc.assert(
    fc.property(pemLike, (pem) => {
      expect(certificateBlocks(pem)).toEqual(Array.from(pem.matchAll(REGEX), (match) => match[0]));
    }),
    { numRuns: 5000 },
  );
});

test("a bundle of two certificates gives both, text between them dropped", () => {
  const one = "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----";
  const two = "-----BEGIN CERTIFICATE-----\nBBBB\n-----END CERTIFICATE-----";
  expect(certificateBlocks(`# root\n${one}\nsubject=x\n${two}\n`)).toEqual([one, two]);
  expect(certificateBlocks(`${one.slice(0, -5)}`)).toEqual([]);
});
