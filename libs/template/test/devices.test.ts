// Special files: size checks must not trust fstat, and read faults must map to a reason.

import { describe, expect, test } from "bun:test";
import { mkdirSync, symlinkSync } from "node:fs";
import { join } from "node:path";
import { describeFsError } from "../src/fs-reason.ts";
import { loadProfiles, loadTemplate } from "../src/index.ts";
import { readTemplateBytes } from "../src/template-file.ts";
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

  test("/dev/urandom is cut off at 1 MiB too, and the raw bytes of a file are returned as read", () => {
    expect(thrown(() => readTemplateBytes("/dev/urandom"))).toMatchObject({
      code: "parse",
      message: "/dev/urandom: template too large (max 1 MiB)",
    });
    const root = fixture({ "t.template": "\uFEFFA=1\r\n" });
    expect([...readTemplateBytes(join(root, "t.template"))]).toEqual([...Buffer.from("\uFEFFA=1\r\n")]);
  });
});

describe("profile config files that are devices", () => {
  test("a global config of /dev/zero is fatal and says it is too large", () => {
    const root = fixture();
    expect(thrown(() => loadProfiles({ cwd: root, globalConfigPath: "/dev/zero" }))).toMatchObject({
      code: "config",
      message: "parse config /dev/zero: file too large (max 1 MiB)",
    });
  });

  test("a .kpm/config.yaml on the walk that leads to a device is ignored with a warning", () => {
    const root = fixture({ "a/.keep": "" });
    mkdirSync(join(root, ".kpm"));
    symlinkSync("/dev/urandom", join(root, ".kpm", "config.yaml"));
    const started = performance.now();
    const { values, warnings } = loadProfiles({ cwd: join(root, "a"), globalConfigPath: join(root, "none") });
    expect(performance.now() - started).toBeLessThan(1000);
    expect(values.size).toBe(0);
    expect(warnings).toEqual([
      `kpm: warning: ignoring profile in ${join(root, ".kpm", "config.yaml")}: not a regular file`,
    ]);
  });
});

describe("describeFsError", () => {
  test("unknown codes are lower-cased and non-errors say unknown error", () => {
    expect(describeFsError(Object.assign(new Error("x"), { code: "EWEIRD" }))).toBe("eweird");
    expect(describeFsError("not an error")).toBe("unknown error");
    expect(describeFsError(null)).toBe("unknown error");
  });
});
