// <RuntimeDir> resolution, creation and the lstat checks of spec §7.3.
import { afterEach, describe, expect, test } from "bun:test";
import { chmodSync, chownSync, mkdirSync, statSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { isAbsolute, join, resolve } from "node:path";
import { checkRuntimeDir, ensureRuntimeDir, resolveRuntimeDir, SessionError } from "@kpm/session";
import fc from "fast-check";
import { makePrivateDir, removeCreatedDirs } from "./helpers/fixtures.ts";

afterEach(removeCreatedDirs);

function failureOf(action: () => void): SessionError {
  try {
    action();
  } catch (error) {
    if (error instanceof SessionError) return error;
    throw error;
  }
  throw new Error("expected a SessionError");
}

describe("resolveRuntimeDir", () => {
  test("uses $XDG_RUNTIME_DIR/kpm when it is absolute", () => {
    expect(resolveRuntimeDir({ XDG_RUNTIME_DIR: "/run/user/1000", TMPDIR: "/t" }, 1000)).toBe(
      "/run/user/1000/kpm",
    );
  });

  test("ignores a relative XDG_RUNTIME_DIR and falls back to $TMPDIR/kpm-<uid>", () => {
    expect(resolveRuntimeDir({ XDG_RUNTIME_DIR: "run", TMPDIR: "/var/tmp/" }, 501)).toBe("/var/tmp/kpm-501");
  });

  test("makes a relative TMPDIR absolute, as the listener runs in another directory", () => {
    expect(resolveRuntimeDir({ TMPDIR: "rel/tmp" }, 3)).toBe(join(process.cwd(), "rel/tmp/kpm-3"));
  });

  test("gives node:path's answer for any pair of variables (the join/resolve it skips when clean)", () => {
    const segment = fc.constantFrom("", ".", "..", "run", "user", "1000", "t mp", "ü");
    const path = fc
      .tuple(fc.boolean(), fc.array(segment, { maxLength: 5 }))
      .map(([absolute, parts]) => `${absolute ? "/" : ""}${parts.join("/")}`);
    fc.assert(
      fc.property(fc.option(path), fc.option(path), (xdg, temp) => {
        const env = { XDG_RUNTIME_DIR: xdg ?? undefined, TMPDIR: temp ?? undefined };
        const oracle = xdg && isAbsolute(xdg) ? join(xdg, "kpm") : resolve(temp || tmpdir(), "kpm-9");
        expect(resolveRuntimeDir(env, 9)).toBe(oracle);
      }),
    );
  });

  test("uses the OS temporary directory when TMPDIR is unset or empty", () => {
    expect(resolveRuntimeDir({}, 7)).toBe(join(tmpdir(), "kpm-7"));
    expect(resolveRuntimeDir({ TMPDIR: "", XDG_RUNTIME_DIR: "" }, 7)).toBe(join(tmpdir(), "kpm-7"));
  });
});

describe("ensureRuntimeDir", () => {
  test("creates the directory with mode 0700 regardless of the umask", () => {
    const parent = makePrivateDir();
    const dir = join(parent, "kpm");
    const previous = process.umask(0o277);
    try {
      ensureRuntimeDir(dir);
    } finally {
      process.umask(previous);
    }
    expect(statSync(dir).mode & 0o7777).toBe(0o700);
    // A second use accepts the existing directory.
    ensureRuntimeDir(dir);
  });

  test("does not create a missing parent such as XDG_RUNTIME_DIR", () => {
    const parent = join(makePrivateDir(), "missing-xdg");
    const failure = failureOf(() => ensureRuntimeDir(join(parent, "kpm")));
    expect(failure.code).toBe("runtime_dir_create");
    expect(failure.message).toBe(
      `create runtime directory ${join(parent, "kpm")}: no such file or directory`,
    );
  });

  test("refuses an existing directory with group or other access", () => {
    const dir = join(makePrivateDir(), "kpm");
    mkdirSync(dir);
    chmodSync(dir, 0o755);
    const failure = failureOf(() => ensureRuntimeDir(dir));
    expect(failure.code).toBe("runtime_dir");
    expect(failure.message).toBe(
      `refusing to use runtime directory ${dir}: its mode 0755 allows access by group or others (fix: chmod 700 ${dir})`,
    );
  });
});

describe("checkRuntimeDir", () => {
  test("accepts a private directory of the current user", () => {
    expect(() => checkRuntimeDir(makePrivateDir())).not.toThrow();
  });

  test("refuses a symbolic link even to a private directory", () => {
    const target = makePrivateDir();
    const link = join(makePrivateDir(), "kpm");
    symlinkSync(target, link);
    expect(failureOf(() => checkRuntimeDir(link)).message).toBe(
      `refusing to use runtime directory ${link}: it is a symbolic link`,
    );
  });

  test("refuses something that is not a directory", () => {
    const file = join(makePrivateDir(), "kpm");
    writeFileSync(file, "");
    expect(failureOf(() => checkRuntimeDir(file)).message).toBe(
      `refusing to use runtime directory ${file}: it is not a directory`,
    );
  });

  test.skipIf(process.getuid?.() !== 0)("refuses a directory owned by another uid", () => {
    const dir = join(makePrivateDir(), "kpm");
    mkdirSync(dir, { mode: 0o700 });
    chownSync(dir, 65534, 65534);
    const uid = process.getuid?.() ?? 0;
    expect(failureOf(() => checkRuntimeDir(dir)).message).toBe(
      `refusing to use runtime directory ${dir}: it is owned by uid 65534, not ${uid}`,
    );
  });

  test("refuses a missing directory", () => {
    const dir = join(makePrivateDir(), "gone");
    expect(failureOf(() => checkRuntimeDir(dir)).message).toBe(
      `refusing to use runtime directory ${dir}: it does not exist`,
    );
  });

  test("refuses a directory it cannot inspect", () => {
    const dir = join(makePrivateDir(), "file", "kpm");
    writeFileSync(join(dir, ".."), "");
    expect(failureOf(() => checkRuntimeDir(dir)).message).toBe(
      `refusing to use runtime directory ${dir}: it cannot be inspected: not a directory`,
    );
  });
});
