// parentDirectory is node:path's posix.dirname without loading node:path: same answer for every
// path, including the odd ones a KPM_DECRYPT_SOCK can hold.
import { expect, test } from "bun:test";
import { posix } from "node:path";
import fc from "fast-check";
import { parentDirectory } from "../src/posix-path.ts";

const paths = fc.oneof(
  fc
    .array(fc.constantFrom("/", "//", "a", "bc", ".", "..", "é", " ", "\\"), { maxLength: 10 })
    .map((parts) => parts.join("")),
  fc.string({ maxLength: 20 }),
);

test("answers as posix.dirname", () => {
  fc.assert(
    fc.property(paths, (path) => {
      expect(parentDirectory(path)).toBe(posix.dirname(path));
    }),
    { numRuns: 5000 },
  );
  for (const path of ["", "/", "//", "///", "a", "/a", "//a", "a/", "a/b", "a/b/", "/tmp/kpm-0/s1.sock"]) {
    expect(parentDirectory(path)).toBe(posix.dirname(path));
  }
});
