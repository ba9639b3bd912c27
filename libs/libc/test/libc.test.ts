// lstat through libc must say exactly what node:fs says (type and permission bits, owner) for
// every kind of entry, and fail with node:fs's errors; isatty must tell terminals from the rest.

import { dlopen } from "bun:ffi";
import { afterAll, describe, expect, test } from "bun:test";
import {
  chownSync,
  closeSync,
  existsSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  realpathSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  bindIsatty,
  bindLibc,
  closeFile,
  type Dlopen,
  isatty,
  isDirectory,
  isRegularFile,
  isSocket,
  isSymbolicLink,
  LAYOUTS,
  type LinkStatus,
  lstat,
  lstatIfPresent,
  nativeDlopen,
  O_RDONLY,
  type OpenedFile,
  openRegularFile,
  readInto,
  realPathIfPresent,
  stat,
  statIfPresent,
} from "@kpm/libc";

const dir = mkdtempSync(join(tmpdir(), "kpm-libc-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function errorOf(run: () => unknown): NodeJS.ErrnoException {
  try {
    run();
  } catch (error) {
    return error as NodeJS.ErrnoException;
  }
  throw new Error("expected an error");
}

const onKnownLayout = `${process.platform}-${process.arch}` in LAYOUTS;

/**
 * Runs `body` in a fresh process (in this one another test has bound libc already) with
 * `libc` = @kpm/libc and `loaded()` = the built-ins loaded through @kpm/deferred so far. Prints
 * what `body` returns, as JSON.
 */
function inFreshProcess(body: string): unknown {
  const script = `
    import * as libc from "@kpm/libc";
    import { loadedBuiltins as loaded } from "@kpm/deferred";
    console.log(JSON.stringify(await (async () => { ${body} })()));
  `;
  const result = Bun.spawnSync([process.execPath, "-e", script], {
    cwd: join(import.meta.dir, ".."),
    stdin: "ignore",
    stderr: "pipe",
  });
  expect(result.stderr.toString()).toBe("");
  return JSON.parse(result.stdout.toString());
}

describe("lstat", () => {
  test("agrees with node:fs on directories, files, links, sockets, FIFOs and devices", () => {
    const privateDir = join(dir, "private");
    mkdirSync(privateDir, { mode: 0o700 });
    const file = join(dir, "file");
    writeFileSync(file, "x", { mode: 0o640 });
    const link = join(dir, "link");
    symlinkSync(privateDir, link);
    const dangling = join(dir, "dangling");
    symlinkSync(join(dir, "nowhere"), dangling);
    const fifo = join(dir, "fifo");
    expect(Bun.spawnSync(["mkfifo", "-m", "0604", fifo]).exitCode).toBe(0);
    const socketPath = join(dir, "s.sock");
    const listener = Bun.listen({ unix: socketPath, socket: { data() {} } });
    try {
      for (const path of [dir, privateDir, file, link, dangling, fifo, socketPath, "/dev/null", "/"]) {
        const expected = lstatSync(path);
        expect({ path, ...lstat(path) }).toEqual({ path, mode: expected.mode, uid: expected.uid });
      }
      expect(isDirectory(lstat(privateDir))).toBe(true);
      expect(isSymbolicLink(lstat(link))).toBe(true);
      expect(isDirectory(lstat(link))).toBe(false);
      expect(isSocket(lstat(socketPath))).toBe(true);
      expect(isSocket(lstat(file)) || isDirectory(lstat(file)) || isSymbolicLink(lstat(file))).toBe(false);
    } finally {
      listener.stop(true);
    }
  });

  // As root (CI), an owner that is neither 0 nor the group proves the uid offset: root's uid and
  // gid are both 0, so a layout that read st_gid would pass the test above.
  test.if(process.getuid?.() === 0)("reads the owner, not the group", () => {
    const owned = join(dir, "owned");
    writeFileSync(owned, "");
    chownSync(owned, 65534, 65533);
    expect(lstat(owned).uid).toBe(65534);
  });

  test("fails with node:fs's error codes", () => {
    writeFileSync(join(dir, "plain"), "");
    expect(errorOf(() => lstat(join(dir, "missing"))).code).toBe("ENOENT");
    expect(errorOf(() => lstat(join(dir, "plain", "child"))).code).toBe("ENOTDIR");
    // C cannot spell a NUL byte: node:fs answers, and refuses the path.
    expect(errorOf(() => lstat(`${dir}\0/plain`)).code).toBe(errorOf(() => lstatSync(`${dir}\0/plain`)).code);
  });
  test("binds libc on its first call; only a failure loads node:fs, for its error", () => {
    const answer = inFreshProcess(`
      const first = libc.lstat("/");
      const before = loaded();
      let code;
      try { libc.lstat(${JSON.stringify(join(dir, "missing-2"))}); } catch (error) { code = error.code; }
      return { first, before, code, after: loaded() };
    `);
    const root = lstatSync("/");
    expect(answer).toEqual({
      first: { mode: root.mode, uid: root.uid },
      before: onKnownLayout ? [] : ["node:fs"],
      code: "ENOENT",
      after: ["node:fs"],
    });
  });
});

describe("lstatIfPresent", () => {
  test("is lstat where something is there, null (never an error) where nothing is", () => {
    const file = join(dir, "present");
    writeFileSync(file, "");
    const dangling = join(dir, "dangling-present");
    symlinkSync(join(dir, "nowhere"), dangling);
    for (const path of [dir, file, dangling]) expect(lstatIfPresent(path)).toEqual(lstat(path));
    expect(lstatIfPresent(join(dir, "absent"))).toBeNull();
    expect(lstatIfPresent(join(file, "child"))).toBeNull();
    expect(lstatIfPresent(`${dir}\0/present`)).toBeNull();
  });

  test("binds libc on its first call: a fresh process answers without loading node:fs", () => {
    const file = join(dir, "present-2");
    writeFileSync(file, "");
    const paths = [file, join(dir, "absent"), join(file, "child")];
    const answer = inFreshProcess(`
      const answers = ${JSON.stringify(paths)}.map(libc.lstatIfPresent);
      return { answers, loaded: loaded() };
    `);
    const stats = lstatSync(file);
    expect(answer).toEqual({
      answers: [{ mode: stats.mode, uid: stats.uid }, null, null],
      loaded: onKnownLayout ? [] : ["node:fs"],
    });
  });
});

describe("bindLibc", () => {
  test("the native dlopen under bun:ffi exists in this Bun (the fast path is live)", () => {
    expect(typeof nativeDlopen()).toBe("function");
  });

  test.if(process.platform === "linux")("binds lstat only where the struct stat layout is known", () => {
    for (const open of [nativeDlopen() as Dlopen, dlopen as Dlopen]) {
      const known = bindLibc(open, "linux", process.arch);
      expect(typeof known?.lstat === "function").toBe(onKnownLayout);
      expect(bindLibc(open, "linux", "riscv64")).toBeNull();
      expect(bindLibc(open, "plan9", "x64")).toBeNull();
      expect(typeof bindIsatty(open, "linux")?.isatty).toBe("function");
      expect(bindIsatty(open, "plan9")).toBeNull();
    }
  });

  test.if(process.platform === "linux")("both dlopens bind functions that answer alike", () => {
    const viaNative = bindLibc(nativeDlopen() as Dlopen, "linux", process.arch);
    const viaModule = bindLibc(dlopen as Dlopen, "linux", process.arch);
    const path = new TextEncoder().encode(`${dir}\0`);
    const [first, second] = [new Uint8Array(256), new Uint8Array(256)];
    expect(viaNative?.lstat?.(path, first)).toBe(0);
    expect(viaModule?.lstat?.(path, second)).toBe(0);
    expect(first).toEqual(second);
    expect(bindIsatty(nativeDlopen() as Dlopen, "linux")?.isatty(987_654)).toBe(0);
    expect(bindIsatty(dlopen as Dlopen, "linux")?.isatty(987_654)).toBe(0);
  });

  test.if(process.platform === "linux")(
    "a library that cannot be opened is skipped for the next name",
    () => {
      const native = nativeDlopen() as Dlopen;
      const names: string[] = [];
      const refuseFirst: Dlopen = (name, symbols) => {
        names.push(name);
        return names.length === 1 ? new Error("not this one") : native(name, symbols);
      };
      // The second name, libc.so, is a linker script on glibc systems and a library on musl.
      const bound = bindLibc(refuseFirst, "linux", process.arch);
      expect(names).toEqual(["libc.so.6", "libc.so"]);
      expect(bound === null || typeof bound.lstat === "function").toBe(true);
      // bun:ffi's dlopen throws instead (a missing symbol, an unknown name): the next name too.
      const thrown: string[] = [];
      const throwFirst: Dlopen = (name, symbols) => {
        thrown.push(name);
        if (thrown.length === 1) throw new Error("no such symbol");
        return native(name, symbols);
      };
      bindLibc(throwFirst, "linux", process.arch);
      expect(thrown).toEqual(["libc.so.6", "libc.so"]);
    },
  );
});

// The arm64 layout, checked where this machine can run arm64 code: qemu-user and Debian's
// libc6-arm64-cross (CI has neither; run by hand after `apt-get install qemu-user libc6-arm64-cross`).
const ARM64_SYSROOT = "/usr/aarch64-linux-gnu";
const canRunArm64 =
  process.arch === "x64" &&
  Bun.which("qemu-aarch64") !== null &&
  existsSync(`${ARM64_SYSROOT}/lib/libc.so.6`);

describe("linux-arm64 layout", () => {
  test.skipIf(!canRunArm64 || process.getuid?.() !== 0)(
    "lstat under qemu-aarch64 agrees with node:fs",
    () => {
      const binary = join(dir, "layout-check-arm64");
      const build = Bun.spawnSync([
        process.execPath,
        "build",
        "--compile",
        "--target=bun-linux-arm64",
        join(import.meta.dir, "helpers", "layout-check.ts"),
        "--outfile",
        binary,
      ]);
      expect(build.exitCode).toBe(0);
      const owned = join(dir, "owned-arm64");
      writeFileSync(owned, "12345");
      chownSync(owned, 65534, 65533);
      const run = Bun.spawnSync(["qemu-aarch64", "-L", ARM64_SYSROOT, binary, owned], { stderr: "pipe" });
      const report = JSON.parse(run.stdout.toString()) as {
        target: string;
        known: boolean;
        rows: Array<{ path: string; libc: number[]; node: number[] }>;
        size: unknown;
      };
      expect(report.target).toBe("linux-arm64");
      expect(report.known).toBe(true);
      for (const row of report.rows) expect(row.libc).toEqual(row.node);
      expect(report.rows.at(-1)?.libc[1]).toBe(65534);
      expect(report.size).toBe(5);
    },
    120_000,
  );
});

describe("isatty", () => {
  test("is true for a pseudo-terminal only", () => {
    const file = join(dir, "tty-file");
    writeFileSync(file, "");
    const fds = {
      pty: openSync("/dev/ptmx", "r+"),
      file: openSync(file, "r"),
      devNull: openSync("/dev/null", "r"),
    };
    try {
      expect(isatty(fds.pty)).toBe(true);
      expect(isatty(fds.file)).toBe(false);
      expect(isatty(fds.devNull)).toBe(false);
      expect(isatty(987_654)).toBe(false);
    } finally {
      for (const fd of Object.values(fds)) closeSync(fd);
    }
  });
});

describe.if(onKnownLayout)("the file calls (stat, realpath, openRegularFile)", () => {
  const files = join(dir, "files");
  mkdirSync(files, { recursive: true });
  const data = join(files, "data.txt");
  writeFileSync(data, "x".repeat(1234));
  symlinkSync(data, join(files, "link"));
  symlinkSync(join(files, "nowhere"), join(files, "dangling"));

  test("statIfPresent follows links as statSync does; null where statSync throws", () => {
    for (const path of [data, join(files, "link"), files, "/dev/null"]) {
      const viaNode = statSync(path);
      expect({ path, status: statIfPresent(path) }).toEqual({
        path,
        status: { mode: viaNode.mode, uid: viaNode.uid },
      });
    }
    expect(isRegularFile(statIfPresent(join(files, "link")) as LinkStatus)).toBe(true);
    expect(statIfPresent(join(files, "dangling"))).toBeNull();
    expect(statIfPresent(join(files, "missing"))).toBeNull();
  });

  test("realPathIfPresent resolves links, . and .. as realpathSync does", () => {
    expect(realPathIfPresent(join(files, "link"))).toBe(realpathSync(data));
    expect(realPathIfPresent(`${files}/./../files/data.txt`)).toBe(realpathSync(data));
    expect(realPathIfPresent(join(files, "dangling"))).toBeNull();
  });

  test("openRegularFile: mode and st_size read at its offset (a wrong layout misreports it); readInto reads it", () => {
    const opened = openRegularFile(data, O_RDONLY) as OpenedFile;
    try {
      expect([opened.size, opened.mode]).toEqual([1234, statSync(data).mode]);
      const buffer = new Uint8Array(2000);
      expect(readInto(opened.fd, buffer)).toBe(1234);
      expect(readInto(opened.fd, buffer)).toBe(0);
    } finally {
      closeFile(opened.fd);
    }
    // After close the descriptor is gone: read fails.
    expect(readInto(opened.fd, new Uint8Array(10))).toBe(-1);
    // A regular file that says size 0 (/proc) is read to its end all the same.
    const status = openRegularFile("/proc/self/status", O_RDONLY) as OpenedFile;
    const buffer = new Uint8Array(64 * 1024);
    const count = readInto(status.fd, buffer);
    closeFile(status.fd);
    expect(status.size).toBe(0);
    expect(new TextDecoder().decode(buffer.subarray(0, count))).toContain("Pid:");
  });

  test("stat, statIfPresent and realPathIfPresent: node:fs answers what libc cannot (a NUL byte)", () => {
    const viaNode = statSync(data);
    expect(stat(data)).toEqual({ mode: viaNode.mode, uid: viaNode.uid });
    expect(() => stat("/a\0b")).toThrow();
    expect(statIfPresent("/a\0b")).toBeNull();
    expect(realPathIfPresent("/a\0b")).toBeNull();
  });

  test("openRegularFile: ENOENT and ENOTDIR by name; undefined for what node:fs must read or word", () => {
    expect(openRegularFile(join(files, "missing"), O_RDONLY)).toEqual({ missing: "ENOENT" });
    expect(openRegularFile(join(data, "below"), O_RDONLY)).toEqual({ missing: "ENOTDIR" });
    expect(openRegularFile(files, O_RDONLY)).toBeUndefined();
    expect(openRegularFile("/dev/zero", O_RDONLY)).toBeUndefined();
    expect(openRegularFile("/a\0b", O_RDONLY)).toBeUndefined();
  });
});
