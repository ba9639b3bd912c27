// Special files: size checks must not trust fstat, and read faults must map to a reason.

import { describe, expect, test } from "bun:test";
import { describeFsError } from "../src/fs-reason.ts";
import { loadTemplate } from "../src/index.ts";
import { contextFor, thrown, useFixtures } from "./helpers.ts";

const { fixture } = useFixtures();

describe("reading special files", () => {
  test("an endless stream (fstat size 0) is cut off at 1 MiB", () => {
    expect(thrown(() => loadTemplate("/dev/zero", contextFor(fixture())))).toMatchObject({
      code: "parse",
      message: "/dev/zero: template too large (max 1 MiB)",
    });
  });

  test("a read fault after a successful open is an io error with its reason", () => {
    // Reading offset 0 of /proc/self/mem fails with EIO: a real fault, no mock needed.
    expect(thrown(() => loadTemplate("/proc/self/mem", contextFor(fixture())))).toMatchObject({
      code: "io",
      message: "open template /proc/self/mem: input/output error",
    });
  });

  test("an empty device reads as an empty template", () => {
    expect(loadTemplate("/dev/null", contextFor(fixture()))).toEqual([]);
  });
});

describe("describeFsError", () => {
  test("unknown codes are lower-cased and non-errors say unknown error", () => {
    expect(describeFsError(Object.assign(new Error("x"), { code: "EWEIRD" }))).toBe("eweird");
    expect(describeFsError("not an error")).toBe("unknown error");
    expect(describeFsError(null)).toBe("unknown error");
  });
});
