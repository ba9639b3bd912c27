// prctl, rlimits and the exec-step primitives through libc, each checked against the kernel's own
// account (/proc/self/limits, /proc/self/status, /proc ownership): a wrong struct rlimit layout,
// prctl argument or pointer array fails here. Everything that changes the process runs in a child.

import { describe, expect, test } from "bun:test";
import { closeSync, openSync, readFileSync } from "node:fs";
import { join } from "node:path";
import {
  bindProcessLibc,
  closeDescriptor,
  type Dlopen,
  encodeEnvironment,
  execute,
  getDumpable,
  getParentDeathSignal,
  getResourceLimit,
  hardenProcess,
  ignoredSignals,
  nativeDlopen,
  openPipe,
  PR_GET_NO_NEW_PRIVS,
  prctl,
  prepareForExec,
  RLIMIT_CORE,
  RLIMIT_LAYOUTS,
  receiveBlock,
  sendBlock,
  setDumpable,
  setParentDeathSignal,
  setResourceLimit,
  unsupportedReason,
} from "@kpm/libc";

const HELPER = join(import.meta.dir, "helpers", "process-check.ts");
const onLinux = process.platform === "linux" && `${process.platform}-${process.arch}` in RLIMIT_LAYOUTS;
const AS_NOBODY = ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"];

function helper(args: string[], options: { prefix?: string[]; fds?: number[] } = {}): unknown {
  const result = Bun.spawnSync([...(options.prefix ?? []), process.execPath, HELPER, ...args], {
    stdio: ["ignore", "pipe", "pipe", ...(options.fds ?? [])],
  });
  if (result.exitCode !== 0) throw new Error(`helper ${args[0]} failed: ${result.stderr.toString()}`);
  return JSON.parse(result.stdout.toString());
}

/** Runs the helper with `block` arriving on fd 3, as kpm run hands it to the exec step. */
async function withBlock(args: string[], block: Uint8Array, extraFds: number[] = []) {
  const pipe = openPipe();
  if (!pipe.ok) throw new Error(pipe.reason);
  const child = Bun.spawn([process.execPath, HELPER, ...args], {
    stdio: ["ignore", "pipe", "pipe", pipe.value.read, ...extraFds],
  });
  closeSync(pipe.value.read);
  expect(sendBlock(pipe.value.write, block)).toEqual({ ok: true, value: true });
  const [stdout, stderr, code] = await Promise.all([
    new Response(child.stdout).text(),
    new Response(child.stderr).text(),
    child.exited,
  ]);
  return { stdout, stderr, code };
}

describe.if(onLinux)("resource limits", () => {
  test("getrlimit agrees with /proc/self/limits on distinct soft and hard values", () => {
    const report = helper(["limits"], {
      prefix: ["prlimit", "--nofile=1000:2000", "--core=3000:5000", "--"],
    }) as {
      ffi: Record<string, string[]>;
      proc: Record<string, string[]>;
    };
    expect(report.ffi).toEqual(report.proc);
    expect(report.ffi.core).toEqual(["3000", "5000"]);
    // Bun raises its soft open-file limit to the hard one at startup.
    expect(report.ffi.nofile).toEqual(["2000", "2000"]);
  });

  test("setrlimit sets exactly the soft and hard values /proc/self/limits then shows", () => {
    const report = helper(["set-core", "1234", "4321"], { prefix: ["prlimit", "--core=9000:9000", "--"] });
    expect(report).toEqual({ set: true, proc: ["1234", "4321"] });
  });
});

describe.if(onLinux)("prctl", () => {
  // As nobody, /proc/self/* belongs to nobody while dumpable and to root once not.
  test.if(process.getuid?.() === 0)(
    "PR_SET_DUMPABLE 0 makes /proc/self root's; PR_GET_DUMPABLE agrees",
    () => {
      const report = helper(["dumpable"], { prefix: AS_NOBODY });
      expect(report).toEqual({
        before: { dumpable: { ok: true, value: true }, owner: 65534 },
        set: { ok: true, value: true },
        after: { dumpable: { ok: true, value: false }, owner: 0 },
      });
    },
  );

  test("PR_SET_PDEATHSIG is read back by PR_GET_PDEATHSIG (an int written through a pointer)", () => {
    expect(helper(["pdeathsig", "15"])).toEqual({
      set: { ok: true, value: true },
      get: { ok: true, value: 15 },
    });
  });

  test("PR_SET_NO_NEW_PRIVS shows in /proc/self/status", () => {
    expect(helper(["no-new-privs"])).toEqual({
      before: { get: { ok: true, value: 0 }, proc: "0" },
      set: { ok: true, value: 0 },
      after: { get: { ok: true, value: 1 }, proc: "1" },
    });
  });
});

describe.if(onLinux)("the exec step's primitives", () => {
  test("a 1 MiB block crosses the pipe intact (the writer blocks while the reader drains it)", async () => {
    const block = new Uint8Array(1024 * 1024).map((_, index) => index % 251);
    const result = await withBlock(["receive"], block);
    expect(result.stderr).toBe("");
    expect(JSON.parse(result.stdout)).toEqual({ length: block.length, hash: Bun.hash(block).toString() });
  });

  test("execve runs the program with exactly the block as its environment, default signals, stdio only", async () => {
    const encoded = encodeEnvironment({ A: "1", SPACED: "two words", EMPTY: "", SKIPPED: undefined });
    if (!encoded.ok) throw new Error("encode failed");
    const devNull = openSync("/dev/null", "r");
    try {
      // fd 4 is inherited without close-on-exec: the step must not hand it on.
      const result = await withBlock(
        ["exec", "grep -E '^Sig(Blk|Ign)' /proc/$$/status; ls /proc/$$/fd; env | sort"],
        encoded.block,
        [devNull],
      );
      expect(result).toEqual({
        code: 0,
        stderr: "",
        // sh adds PWD itself.
        stdout: `SigBlk:\t0000000000000000\nSigIgn:\t0000000000000000\n0\n1\n2\nA=1\nEMPTY=\nPWD=${process.cwd()}\nSPACED=two words\n`,
      });
    } finally {
      closeSync(devNull);
    }
  });

  test("encodeEnvironment refuses a NUL byte (it would split into two variables) and names the variable", () => {
    expect(encodeEnvironment({ GOOD: "x", BAD: "a\0LD_PRELOAD=/tmp/x.so" })).toEqual({
      ok: false,
      variable: "BAD",
    });
    const encoded = encodeEnvironment({ A: "1", B: "é" });
    expect(encoded.ok && new TextDecoder().decode(encoded.block)).toBe("A=1\0B=é\0");
  });
});

describe("bindProcessLibc", () => {
  const pointers = { ptr: () => 0, read: { i32: () => 0 } };

  test("is null off Linux and where struct rlimit is not known, so callers answer unsupported", () => {
    const open = nativeDlopen() as Dlopen;
    expect(bindProcessLibc(open, pointers, "darwin", "arm64")).toBeNull();
    expect(bindProcessLibc(open, pointers, "linux", "riscv64")).toBeNull();
    expect(bindProcessLibc(open, pointers, "plan9", "x64")).toBeNull();
  });

  test.if(onLinux)("skips a library that cannot be opened for the next name", () => {
    const native = nativeDlopen() as Dlopen;
    const names: string[] = [];
    const refuseFirst: Dlopen = (name, symbols) => {
      names.push(name);
      return names.length === 1 ? new Error("not this one") : native(name, symbols);
    };
    const bound = bindProcessLibc(refuseFirst, pointers, "linux", process.arch);
    expect(names).toEqual(["libc.so.6", "libc.so"]);
    expect(bound === null || typeof bound.prctl === "function").toBe(true);
  });
});

// The same functions in this process, where calling them changes nothing (read-only calls, or a
// value the process already has): the unit-level contract, and what the coverage gate sees.
describe.if(onLinux)("in this process", () => {
  test("reads agree with /proc/self: dumpable, no_new_privs, core limit, ignored signals", () => {
    const status = readFileSync("/proc/self/status", "utf8");
    expect(getDumpable()).toEqual({ ok: true, value: true });
    expect(prctl(PR_GET_NO_NEW_PRIVS)).toEqual({ ok: true, value: /^NoNewPrivs:\s*1/m.test(status) ? 1 : 0 });
    const core = getResourceLimit(RLIMIT_CORE);
    const shownInProc: string[] =
      readFileSync("/proc/self/limits", "utf8")
        .split("\n")
        .find((row) => row.startsWith("Max core file size"))
        ?.split(/\s{2,}/)
        .slice(1, 3) ?? [];
    const shown = (value: bigint) => (value === 2n ** 64n - 1n ? "unlimited" : String(value));
    expect(core.ok && [shown(core.value.soft), shown(core.value.hard)]).toEqual(shownInProc);
    const mask = BigInt(`0x${/^SigIgn:\s*([0-9a-f]+)/m.exec(status)?.[1] ?? "0"}`);
    const ignored = ignoredSignals();
    expect(ignored.ok && ignored.value.reduce((bits, signal) => bits | (1n << BigInt(signal - 1)), 0n)).toBe(
      mask,
    );
  });

  test("setting what is already set succeeds: core limit, dumpable, no parent-death signal", () => {
    const core = getResourceLimit(RLIMIT_CORE);
    if (!core.ok) throw new Error(core.reason);
    expect(setResourceLimit(RLIMIT_CORE, core.value)).toEqual({ ok: true, value: true });
    expect(setDumpable(true)).toEqual({ ok: true, value: true });
    expect(getParentDeathSignal()).toEqual({ ok: true, value: 0 });
    expect(setParentDeathSignal(0, process.ppid)).toEqual({ ok: true, value: true });
  });

  test("hardenProcess, then undone: not dumpable and a soft core limit of 0, hard limit kept", () => {
    const core = getResourceLimit(RLIMIT_CORE);
    if (!core.ok) throw new Error(core.reason);
    try {
      expect(hardenProcess()).toEqual({ ok: true, value: true });
      expect(getDumpable()).toEqual({ ok: true, value: false });
      expect(getResourceLimit(RLIMIT_CORE)).toEqual({ ok: true, value: { soft: 0n, hard: core.value.hard } });
    } finally {
      setDumpable(true);
      setResourceLimit(RLIMIT_CORE, core.value);
    }
    expect(getDumpable()).toEqual({ ok: true, value: true });
    expect(getResourceLimit(RLIMIT_CORE)).toEqual(core);
  });

  test("a failing call reports its errno (EINVAL 22, EBADF 9)", () => {
    expect(setResourceLimit(RLIMIT_CORE, { soft: 2n, hard: 1n })).toEqual({
      ok: false,
      reason: "setrlimit failed (errno 22)",
    });
    expect(prctl(987_654)).toEqual({ ok: false, reason: "prctl option 987654 failed (errno 22)" });
    expect(sendBlock(-1, new Uint8Array(1))).toEqual({ ok: false, reason: "write failed (errno 9)" });
    expect(receiveBlock(-1)).toEqual({ ok: false, reason: "read failed (errno 9)" });
  });

  test("unsupported results name the platform, or say libc could not be bound", () => {
    expect(unsupportedReason("darwin-arm64")).toBe("not supported on darwin-arm64");
    expect(unsupportedReason("linux-x64")).toBe("libc could not be bound through Bun's FFI");
  });

  test("a block that fits the pipe round-trips in this process (40 KB: the reader's buffer grows)", () => {
    const pipe = openPipe();
    if (!pipe.ok) throw new Error(pipe.reason);
    const block = new Uint8Array(40_000).map((_, index) => index % 253);
    expect(sendBlock(pipe.value.write, block)).toEqual({ ok: true, value: true });
    const received = receiveBlock(pipe.value.read);
    expect(received).toEqual({ ok: true, value: block });
    const unused = openPipe();
    if (!unused.ok) throw new Error(unused.reason);
    closeDescriptor(unused.value.read);
    closeDescriptor(unused.value.write);
    expect(receiveBlock(unused.value.read).ok).toBe(false);
  });

  test("execve of a missing program returns ENOENT; NUL in an argument is refused", () => {
    const block = new TextEncoder().encode("A=1\0");
    expect(execute("/nonexistent/kpm-test", ["x", ""], block)).toEqual({
      errno: 2,
      reason: "execve failed (errno 2)",
    });
    expect(execute("/bin/true", ["a\0b"], block)).toEqual({
      errno: 22,
      reason: "an argument contains a NUL byte",
    });
  });

  test("prepareForExec with nothing to reset and no descriptors in range changes nothing", () => {
    expect(prepareForExec([], 1_000_000)).toEqual({ ok: true, value: true });
    expect(getDumpable()).toEqual({ ok: true, value: true });
  });
});
