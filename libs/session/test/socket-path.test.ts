// Finding a session's socket (spec §7.6) and the checks made before connecting to it.
import { afterEach, describe, expect, test } from "bun:test";
import { chmodSync, chownSync, lchownSync, mkdirSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { checkSocketPath, findListenerSocket, SessionError } from "@kpm/session";
import { makePrivateDir, removeCreatedDirs } from "./helpers/fixtures.ts";

const listeners: Array<{ stop(closeActiveConnections?: boolean): void }> = [];

afterEach(() => {
  for (const listener of listeners.splice(0)) listener.stop(true);
  removeCreatedDirs();
});

function bindSocket(path: string): void {
  listeners.push(Bun.listen({ unix: path, socket: { data() {} } }));
}

function failureOf(action: () => void): SessionError {
  try {
    action();
  } catch (error) {
    if (error instanceof SessionError) return error;
    throw error;
  }
  throw new Error("expected a SessionError");
}

describe("findListenerSocket", () => {
  const runtimeDir = "/nonexistent-runtime";

  test("prefers KPM_DECRYPT_SOCK when KPM_SESSION is unset or names the blob's session", () => {
    expect(findListenerSocket("s1", { KPM_DECRYPT_SOCK: "/a.sock" }, runtimeDir)).toBe("/a.sock");
    expect(findListenerSocket("s1", { KPM_DECRYPT_SOCK: "/a.sock", KPM_SESSION: "s1" }, runtimeDir)).toBe(
      "/a.sock",
    );
    expect(findListenerSocket("s1", { KPM_DECRYPT_SOCK: "/a.sock", KPM_SESSION: "" }, runtimeDir)).toBe(
      "/a.sock",
    );
  });

  test("uses <RuntimeDir>/<sid>.sock for a blob of another session when it exists", () => {
    const dir = makePrivateDir();
    bindSocket(join(dir, "s2.sock"));
    const env = { KPM_DECRYPT_SOCK: "/a.sock", KPM_SESSION: "s1" };
    expect(findListenerSocket("s2", env, dir)).toBe(join(dir, "s2.sock"));
    expect(findListenerSocket("s3", env, dir)).toBeNull();
    expect(findListenerSocket("s2", {}, dir)).toBe(join(dir, "s2.sock"));
  });

  test("never turns a session id with path characters into a path", () => {
    const dir = makePrivateDir();
    mkdirSync(join(dir, "sub"));
    writeFileSync(join(dir, "sub", "x.sock"), "");
    expect(findListenerSocket("sub/x", {}, dir)).toBeNull();
    expect(findListenerSocket("../x", {}, dir)).toBeNull();
    expect(findListenerSocket("", {}, dir)).toBeNull();
  });
});

describe("checkSocketPath", () => {
  test("accepts a socket of this user in a private directory", () => {
    const dir = makePrivateDir();
    bindSocket(join(dir, "s.sock"));
    expect(() => checkSocketPath(join(dir, "s.sock"))).not.toThrow();
  });

  test("reports a missing socket as no listener", () => {
    const path = join(makePrivateDir(), "gone.sock");
    const failure = failureOf(() => checkSocketPath(path));
    expect(failure.code).toBe("no_listener");
  });

  test("refuses a socket in a directory others can access", () => {
    const dir = makePrivateDir();
    bindSocket(join(dir, "s.sock"));
    chmodSync(dir, 0o711);
    const failure = failureOf(() => checkSocketPath(join(dir, "s.sock")));
    expect(failure.code).toBe("socket_refused");
    expect(failure.message).toBe(
      `refusing to use decrypt socket ${join(dir, "s.sock")}: parent directory ${dir}: its mode 0711 allows access by group or others (fix: chmod 700 ${dir})`,
    );
  });

  test("refuses a regular file and a symbolic link in place of the socket", () => {
    const dir = makePrivateDir();
    writeFileSync(join(dir, "file.sock"), "");
    bindSocket(join(dir, "real.sock"));
    symlinkSync(join(dir, "real.sock"), join(dir, "link.sock"));
    for (const name of ["file.sock", "link.sock"]) {
      expect(failureOf(() => checkSocketPath(join(dir, name))).message).toBe(
        `refusing to use decrypt socket ${join(dir, name)}: it is not a socket`,
      );
    }
  });

  test.skipIf(process.getuid?.() !== 0)("refuses a socket owned by another uid", () => {
    const dir = makePrivateDir();
    const path = join(dir, "s.sock");
    bindSocket(path);
    lchownSync(path, 65534, 65534);
    expect(failureOf(() => checkSocketPath(path)).message).toBe(
      `refusing to use decrypt socket ${path}: it is owned by uid 65534, not ${process.getuid?.()}`,
    );
  });

  test.skipIf(process.getuid?.() !== 0)("refuses a socket in a directory owned by another uid", () => {
    const dir = makePrivateDir();
    const path = join(dir, "s.sock");
    bindSocket(path);
    chownSync(dir, 65534, 65534);
    expect(failureOf(() => checkSocketPath(path)).message).toBe(
      `refusing to use decrypt socket ${path}: parent directory ${dir}: it is owned by uid 65534, not ${process.getuid?.()}`,
    );
  });

  test("refuses a socket whose parent is not a directory", () => {
    const file = join(makePrivateDir(), "file");
    writeFileSync(file, "");
    const path = join(file, "s.sock");
    expect(failureOf(() => checkSocketPath(path)).message).toBe(
      `refusing to use decrypt socket ${path}: parent directory ${file}: it is not a directory`,
    );
  });
});
