// Landlock through libc: the struct layouts byte for byte, and a real restriction checked by what
// the restricted process can still do (a wrong layout or right makes the kernel refuse the rule or
// grant the wrong tree, and these fail). Each restriction runs in a child: it cannot be undone.
import { afterAll, describe, expect, test } from "bun:test";
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  ACCESS_FS,
  encodePathBeneathAttr,
  encodeRulesetAttr,
  fileAccess,
  handledAccess,
  landlockAbi,
  PATH_BENEATH_ATTR_LAYOUT,
  restrictSelf,
  rulesetAttrSize,
} from "@kpm/libc";

const HELPER = join(import.meta.dir, "helpers", "landlock-check.ts");
const abi = landlockAbi();
if (process.platform === "linux" && !abi.ok)
  console.warn(`landlock.test.ts: Landlock missing here (${abi.reason}): restriction tests skipped`);

describe("struct layouts (linux/landlock.h)", () => {
  test("landlock_path_beneath_attr is packed: u64 rights at 0, s32 fd at 8, 12 bytes", () => {
    expect(PATH_BENEATH_ATTR_LAYOUT.size).toBe(12);
    const bytes = encodePathBeneathAttr(0x1234, 7);
    expect([...bytes]).toEqual([0x34, 0x12, 0, 0, 0, 0, 0, 0, 7, 0, 0, 0]);
    expect([...encodePathBeneathAttr(ACCESS_FS.READ_DIR, -1).subarray(8)]).toEqual([255, 255, 255, 255]);
  });

  test("landlock_ruleset_attr carries exactly the fields the ABI knows", () => {
    expect(rulesetAttrSize(1)).toBe(8);
    expect(rulesetAttrSize(4)).toBe(16);
    expect(rulesetAttrSize(7)).toBe(24);
    const attr = encodeRulesetAttr(7);
    expect(attr.length).toBe(24);
    expect(new DataView(attr.buffer).getBigUint64(0, true)).toBe(0xffffn);
    expect([...attr.subarray(8)]).toEqual(new Array(16).fill(0));
  });

  test("handled rights grow with the ABI; file rules carry only file rights", () => {
    expect(handledAccess(1)).toBe(0x1fff);
    expect(handledAccess(2)).toBe(0x3fff);
    expect(handledAccess(3)).toBe(0x7fff);
    expect(handledAccess(4)).toBe(0x7fff);
    expect(handledAccess(5)).toBe(0xffff);
    expect(fileAccess(1)).toBe(ACCESS_FS.EXECUTE | ACCESS_FS.WRITE_FILE | ACCESS_FS.READ_FILE);
    expect(fileAccess(7)).toBe(
      ACCESS_FS.EXECUTE |
        ACCESS_FS.WRITE_FILE |
        ACCESS_FS.READ_FILE |
        ACCESS_FS.TRUNCATE |
        ACCESS_FS.IOCTL_DEV,
    );
  });
});

describe("landlockAbi", () => {
  test("answers a version ≥ 1 on Linux with Landlock, a reason elsewhere", () => {
    if (abi.ok) expect(abi.value).toBeGreaterThanOrEqual(1);
    else expect(abi.reason).toMatch(/Landlock|unsupported/);
  });
});

const root = mkdtempSync(join(tmpdir(), "kpm-landlock-"));
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe.if(abi.ok)("restrictSelf", () => {
  chmodSync(root, 0o755);
  const allowed = join(root, "allowed");
  const denied = join(root, "denied");
  mkdirSync(allowed);
  mkdirSync(denied);
  writeFileSync(join(allowed, "file"), "visible");
  writeFileSync(join(denied, "key"), "SECRET");
  const loose = join(root, "loose-file");
  writeFileSync(loose, "loose");
  const system = ["/usr", "/bin", "/lib", "/lib64", "/etc", "/proc", "/dev"].map((path) => ({
    path,
    access: "full",
  }));
  const rules = [
    ...system,
    { path: root, access: "list" },
    { path: allowed, access: "full" },
    { path: loose, access: "full" },
    { path: join(root, "vanished"), access: "full" },
  ];
  const probes = [
    { op: "read", path: join(allowed, "file") },
    { op: "write", path: join(allowed, "new") },
    { op: "read", path: loose },
    { op: "list", path: root },
    { op: "read", path: join(denied, "key") },
    { op: "write", path: join(denied, "planted") },
    { op: "write", path: join(root, "new-in-root") },
  ];

  function run(extra: string[] = []) {
    const result = Bun.spawnSync([
      process.execPath,
      HELPER,
      JSON.stringify(rules),
      JSON.stringify(probes),
      ...extra,
    ]);
    return { stdout: result.stdout.toString(), stderr: result.stderr.toString(), code: result.exitCode };
  }

  test("grants full access beneath a rule, listing only where asked, nothing elsewhere", () => {
    const { stdout } = run();
    const report = JSON.parse(stdout.split("\n")[0] as string);
    expect(report.results).toEqual({
      [`read ${join(allowed, "file")}`]: "ok",
      [`write ${join(allowed, "new")}`]: "ok",
      [`read ${loose}`]: "ok",
      [`list ${root}`]: "ok",
      [`read ${join(denied, "key")}`]: "EACCES",
      [`write ${join(denied, "planted")}`]: "EACCES",
      [`write ${join(root, "new-in-root")}`]: "EACCES",
    });
  });

  test("the program it execs, and that program's children, stay restricted", () => {
    const { stdout, code } = run([
      "/bin/sh",
      "-c",
      `cat ${join(allowed, "file")}; cat ${join(denied, "key")}; echo rc=$?`,
    ]);
    expect(code).toBe(0);
    expect(stdout).toContain("visible");
    expect(stdout).not.toContain("SECRET");
    expect(stdout).toContain("rc=1");
  });

  test("a rule path with a NUL byte is refused", () => {
    const script = `const l = require(${JSON.stringify(join(import.meta.dir, "..", "src", "index.ts"))});
      const abi = l.landlockAbi(); console.log(JSON.stringify(l.restrictSelf(abi.value, [{ path: "a\\0b", access: "full" }])));`;
    const result = Bun.spawnSync([process.execPath, "-e", script]);
    expect(JSON.parse(result.stdout.toString())).toEqual({
      ok: false,
      reason: "a rule path contains a NUL byte",
    });
  });
});

describe.if(process.platform !== "linux")("off Linux", () => {
  test("restrictSelf answers unsupported", () => {
    expect(restrictSelf(1, []).ok).toBe(false);
  });
});

/** A libc that records syscalls and answers them as told; open/close are real (fstat needs a real fd). */
function recordingLibc(answers: {
  abi?: number;
  errno?: number;
  fail?: "create" | "add" | "prctl" | "restrict";
}) {
  const calls: string[] = [];
  const { openSync, closeSync } = require("node:fs") as typeof import("node:fs");
  const libc = {
    errno: () => answers.errno ?? 1,
    addressOf: () => 4096,
    open: (path: Uint8Array) => {
      try {
        return openSync(new TextDecoder().decode(path.subarray(0, -1)), "r");
      } catch {
        return -1;
      }
    },
    close: (fd: number) => {
      calls.push(`close ${fd === 42 ? 42 : "fd"}`);
      if (fd !== 42) closeSync(fd);
      return 0;
    },
    prctl: (option: number) => {
      calls.push(`prctl ${option}`);
      return answers.fail === "prctl" ? -1 : 0;
    },
    syscall: (number: number, _a: number, b: number, c: number) => {
      if (number === 444 && c === 1) return answers.abi ?? -1;
      calls.push(`syscall ${number}${number === 445 ? ` ${b}` : ""}`);
      if (number === 444) return answers.fail === "create" ? -1 : 42;
      if (number === 445) return answers.fail === "add" ? -1 : 0;
      return answers.fail === "restrict" ? -1 : 0;
    },
  } as unknown as import("@kpm/libc").ProcessLibc;
  return { libc, calls };
}

describe("landlockAbi and restrictSelf with a given libc", () => {
  test("the ABI, or ENOSYS / EOPNOTSUPP / another errno as reasons", () => {
    expect(landlockAbi(recordingLibc({ abi: 7 }).libc)).toEqual({ ok: true, value: 7 });
    expect(landlockAbi(recordingLibc({ errno: 38 }).libc)).toEqual({
      ok: false,
      reason: "Landlock not supported by this kernel",
    });
    expect(landlockAbi(recordingLibc({ errno: 95 }).libc)).toEqual({
      ok: false,
      reason: "Landlock is disabled on this kernel",
    });
    expect(landlockAbi(recordingLibc({ errno: 22 }).libc)).toEqual({
      ok: false,
      reason: "landlock_create_ruleset failed (errno 22)",
    });
    expect(landlockAbi(null).ok).toBe(false);
    expect(restrictSelf(7, [], null).ok).toBe(false);
  });

  test("creates, adds a rule per existing path, sets no_new_privs, restricts, closes the ruleset", () => {
    const { libc, calls } = recordingLibc({});
    const rules = [
      { path: tmpdir(), access: "full" as const },
      { path: tmpdir(), access: "list" as const },
      { path: "/etc/hostname", access: "list" as const },
      { path: "/etc/hostname", access: "full" as const },
      { path: "/no/such/path", access: "full" as const },
    ];
    expect(restrictSelf(7, rules, libc)).toEqual({ ok: true, value: true });
    expect(calls).toEqual([
      "syscall 444",
      "syscall 445 1",
      "close fd",
      "syscall 445 1",
      "close fd",
      "close fd",
      "syscall 445 1",
      "close fd",
      "prctl 38",
      "syscall 446",
      "close 42",
    ]);
  });

  test("each failing step is named", () => {
    const reason = (fail: "create" | "add" | "prctl" | "restrict") => {
      const result = restrictSelf(7, [{ path: tmpdir(), access: "full" }], recordingLibc({ fail }).libc);
      return result.ok ? "ok" : result.reason;
    };
    expect(reason("create")).toBe("landlock_create_ruleset failed (errno 1)");
    expect(reason("add")).toBe(`landlock_add_rule ${tmpdir()} failed (errno 1)`);
    expect(reason("prctl")).toBe("prctl(PR_SET_NO_NEW_PRIVS) failed (errno 1)");
    expect(reason("restrict")).toBe("landlock_restrict_self failed (errno 1)");
  });
});
