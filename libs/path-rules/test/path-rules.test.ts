import { describe, expect, test } from "bun:test";
import fc from "fast-check";
import {
  CONTROL_CHARACTER,
  describeSegmentProblem,
  firstBadSegment,
  hasControlCharacter,
  hasLongHexRun,
  segmentProblem,
} from "../src/index.ts";

describe("control characters", () => {
  test("C0, DEL and C1 are control characters; the code points around them are not", () => {
    for (const code of [0x00, 0x09, 0x1f, 0x7f, 0x80, 0x85, 0x9f]) {
      expect(hasControlCharacter(`a${String.fromCharCode(code)}b`)).toBe(true);
    }
    for (const code of [0x20, 0x7e, 0xa0, 0xff, 0x2028]) {
      expect(hasControlCharacter(`a${String.fromCharCode(code)}b`)).toBe(false);
    }
  });

  test("exactly the code points 0x00–0x1F and 0x7F–0x9F match, among the first 0x800", () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 0x7ff }), (code) => {
        const expected = code <= 0x1f || (code >= 0x7f && code <= 0x9f);
        expect(CONTROL_CHARACTER.test(String.fromCharCode(code))).toBe(expected);
      }),
    );
  });
});

describe("segments", () => {
  test("empty, dot and control-character segments are refused, with why", () => {
    expect(segmentProblem("")).toBe("empty-segment");
    expect(segmentProblem(".")).toBe("dot-segment");
    expect(segmentProblem("..")).toBe("dot-segment");
    expect(segmentProblem("a\u0085b")).toBe("control-character");
    expect(segmentProblem("...")).toBeNull();
    expect(segmentProblem("db-prod_1.x")).toBeNull();
  });

  test("the first refused segment of a path is named", () => {
    expect(firstBadSegment("svc/a\u0085b/..")).toEqual({ segment: "a\u0085b", problem: "control-character" });
    expect(firstBadSegment("svc//x")).toEqual({ segment: "", problem: "empty-segment" });
    expect(firstBadSegment("svc/../x")).toEqual({ segment: "..", problem: "dot-segment" });
    expect(firstBadSegment("svc/db/prod")).toBeNull();
  });
});

test("a run of 64 hex digits is a long hex run; 63 is not", () => {
  expect(hasLongHexRun(`x/${"a".repeat(64)}`)).toBe(true);
  expect(hasLongHexRun(`x/${"F0".repeat(40)}`)).toBe(true);
  expect(hasLongHexRun(`x/${"a".repeat(63)}/b`)).toBe(false);
});

test("the wire wording: a control character anywhere first, then the first bad segment", () => {
  expect(describeSegmentProblem("a//\u0085")).toBe("control character");
  expect(describeSegmentProblem("a//b")).toBe("empty segment");
  expect(describeSegmentProblem("a/../b")).toBe('".." segment');
  expect(describeSegmentProblem("./a")).toBe('"." segment');
  expect(describeSegmentProblem(`a/${"f".repeat(64)}`)).toBeNull();
});
