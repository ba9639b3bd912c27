// decodeStrictBase64's native fast path accepts exactly the texts the Go-style scanner accepts,
// and decodes them as Buffer does.
import { expect, test } from "bun:test";
import fc from "fast-check";
import { base64Problem, decodeStrictBase64, findInvalidOffset } from "../src/base64.ts";

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
  // Valid encodings with whitespace or junk spliced in: the native decoder skips whitespace.
  fc
    .tuple(
      fc.uint8Array({ minLength: 1, maxLength: 30 }),
      fc.nat(),
      fc.constantFrom(" ", "\n", "\t", "    ", "\r\n\r\n", "A", "="),
    )
    .map(([bytes, at, junk]) => {
      const text = Buffer.from(bytes).toString("base64");
      const index = at % (text.length + 1);
      return text.slice(0, index) + junk + text.slice(index);
    }),
  // Non-zero bits after the last byte: Go (and the scanner) accept them; strict mode does not.
  fc.constantFrom("AB==", "AAB=", "QUJDRA==", "QUJDRB=="),
);

test("valid exactly when the scanner finds no invalid offset, and decoded as Buffer decodes", () => {
  fc.assert(
    fc.property(texts, (text) => {
      const offset = findInvalidOffset(text);
      expect(base64Problem(text)).toBe(offset === -1 ? null : `illegal base64 data at input byte ${offset}`);
      const bytes = decodeStrictBase64(text);
      if (offset === -1) expect(bytes).toEqual(new Uint8Array(Buffer.from(text, "base64")));
      else expect(bytes).toBeNull();
    }),
    { numRuns: 5000 },
  );
});

test("every encoding of real bytes is valid; padding in the middle is not", () => {
  expect(base64Problem(Buffer.from("secret value").toString("base64"))).toBeNull();
  expect(base64Problem("")).toBeNull();
  expect(base64Problem("AB==AAAA")).toBe("illegal base64 data at input byte 4");
  expect(base64Problem("A===")).toBe("illegal base64 data at input byte 1");
  expect(base64Problem("AAAA    ")).toBe("illegal base64 data at input byte 4");
  expect(decodeStrictBase64("AB==")).toEqual(new Uint8Array([0]));
});
