// Child-process entry for process.test.ts: each operation changes this process (limits, prctl
// flags, execve), so it runs here and not in the test runner. Prints JSON (or execs).
import { readFileSync, statSync } from "node:fs";
import {
  execute,
  getDumpable,
  getParentDeathSignal,
  getResourceLimit,
  ignoredSignals,
  PR_GET_NO_NEW_PRIVS,
  PR_SET_NO_NEW_PRIVS,
  prctl,
  prepareForExec,
  RLIMIT_CORE,
  RLIMIT_NOFILE,
  receiveBlock,
  setDumpable,
  setParentDeathSignal,
  setResourceLimit,
} from "../../src/index.ts";

const [operation = "", ...rest] = process.argv.slice(2);

/** Soft and hard "Max <name>" columns of /proc/self/limits, as written there. */
function procLimits(name: string): string[] {
  const line = readFileSync("/proc/self/limits", "utf8")
    .split("\n")
    .find((row) => row.startsWith(name));
  return line?.split(/\s{2,}/).slice(1, 3) ?? [];
}

const text = (limit: ReturnType<typeof getResourceLimit>) =>
  limit.ok ? [limit.value.soft, limit.value.hard].map((value) => String(value)) : [limit.reason];

function run(): unknown {
  switch (operation) {
    case "limits":
      return {
        ffi: { nofile: text(getResourceLimit(RLIMIT_NOFILE)), core: text(getResourceLimit(RLIMIT_CORE)) },
        proc: { nofile: procLimits("Max open files"), core: procLimits("Max core file size") },
      };
    case "set-core": {
      const set = setResourceLimit(RLIMIT_CORE, { soft: BigInt(rest[0] ?? 0), hard: BigInt(rest[1] ?? 0) });
      return { set: set.ok, proc: procLimits("Max core file size") };
    }
    case "dumpable": {
      const before = { dumpable: getDumpable(), owner: statSync("/proc/self/environ").uid };
      const set = setDumpable(false);
      return { before, set, after: { dumpable: getDumpable(), owner: statSync("/proc/self/environ").uid } };
    }
    case "pdeathsig":
      return {
        set: setParentDeathSignal(Number(rest[0]), process.ppid),
        get: getParentDeathSignal(),
      };
    case "no-new-privs": {
      const flag = () => /^NoNewPrivs:\s*(\d)/m.exec(readFileSync("/proc/self/status", "utf8"))?.[1];
      const before = { get: prctl(PR_GET_NO_NEW_PRIVS), proc: flag() };
      const set = prctl(PR_SET_NO_NEW_PRIVS, 1);
      return { before, set, after: { get: prctl(PR_GET_NO_NEW_PRIVS), proc: flag() } };
    }
    case "receive": {
      const block = receiveBlock(3);
      if (!block.ok) return block;
      return { length: block.value.length, hash: Bun.hash(block.value).toString() };
    }
    case "exec": {
      // Receives an environment block on fd 3, then becomes `sh -c <script>` with it.
      const block = receiveBlock(3);
      if (!block.ok) return block;
      const ignored = ignoredSignals();
      const prepared = prepareForExec(ignored.ok ? ignored.value : []);
      if (!prepared.ok) return prepared;
      return { ignored, failed: execute("/bin/sh", ["sh", "-c", rest[0] ?? "true"], block.value) };
    }
    default:
      throw new Error(`unknown operation ${operation}`);
  }
}

console.log(JSON.stringify(run(), (_key, value) => (typeof value === "bigint" ? String(value) : value)));
