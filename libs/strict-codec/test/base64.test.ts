// base64Problem's native fast path accepts exactly the texts the Go-style scanner accepts.
import { expect, test } from "bun:test";
import fc from "fast-check";
import { base64Problem, findInvalidOffset } from "../src/base64.ts";

const pieces = fc.constantFrom(
  "A",
  "z",
  "0",
  "+",
  "/",
  "=",
  "==",
  "AB",
  "ABC",
  "ABCD",
  "-",
  "_",
  " ",
  "\n",
  "é",
);
const texts = fc.oneof(
  fc.array(pieces, { maxLength: 16 }).map((parts) => parts.join("")),
  fc.uint8Array({ maxLength: 40 }).map((bytes) => Buffer.from(bytes).toString("base64")),
  fc.string({ maxLength: 12 }),
);

test("valid exactly when the scanner finds no invalid offset", () => {
  fc.assert(
    fc.property(texts, (text) => {
      const offset = findInvalidOffset(text);
      expect(base64Problem(text)).toBe(offset === -1 ? null : `illegal base64 data at input byte ${offset}`);
    }),
    { numRuns: 5000 },
  );
});

test("every encoding of real bytes is valid; padding in the middle is not", () => {
  expect(base64Problem(Buffer.from("secret value").toString("base64"))).toBeNull();
  expect(base64Problem("")).toBeNull();
  expect(base64Problem("AB==AAAA")).toBe("illegal base64 data at input byte 4");
  expect(base64Problem("A===")).toBe("illegal base64 data at input byte 1");
});
