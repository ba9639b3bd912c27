// The owner shell of a listener (docs/sessions.md): identity that survives pid reuse, zombies
// counted as gone, and detection through command-substitution subshells of real shells.
import { afterEach, describe, expect, test } from "bun:test";
import { readFileSync, readlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describeOwner, detectOwnerShell, isOwnerAlive } from "@kpm/session";
import { makePrivateDir, removeCreatedDirs } from "./helpers/fixtures.ts";

const PROBE = join(import.meta.dir, "helpers/owner-probe.ts");
const children: Bun.Subprocess[] = [];

afterEach(async () => {
  for (const child of children.splice(0)) {
    child.kill("SIGKILL");
    await child.exited;
  }
  removeCreatedDirs();
});

function spawnKept(argv: string[]): Bun.Subprocess {
  const child = Bun.spawn(argv, { stdin: "ignore", stdout: "ignore", stderr: "ignore" });
  children.push(child);
  return child;
}

function childrenOf(pid: number): number[] {
  const text = readFileSync(`/proc/${pid}/task/${pid}/children`, "utf8").trim();
  return text === "" ? [] : text.split(" ").map(Number);
}

async function waitFor<T>(read: () => T | undefined, timeoutMs = 5000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = read();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error("timed out");
    await Bun.sleep(20);
  }
}

const linux = process.platform === "linux";

describe("owner identity", () => {
  test.if(linux)("a running process is alive; once it has exited and been reaped it is not", async () => {
    const child = spawnKept(["sleep", "30"]);
    const owner = describeOwner(child.pid);
    expect(owner.start_time).toMatch(/^\d+$/);
    expect(isOwnerAlive(owner)).toBe(true);
    child.kill("SIGKILL");
    await child.exited;
    expect(isOwnerAlive(owner)).toBe(false);
  });

  test.if(linux)("a recycled pid (same pid, another start time) is not the owner", () => {
    const owner = describeOwner(process.pid);
    expect(isOwnerAlive(owner)).toBe(true);
    // kill(pid, 0), the check without /proc, cannot tell the two apart.
    expect(isOwnerAlive({ pid: process.pid, start_time: null })).toBe(true);
    expect(isOwnerAlive({ pid: process.pid, start_time: `${owner.start_time}1` })).toBe(false);
  });

  test.if(linux)("a zombie owner (exited, not yet reaped) counts as gone", async () => {
    // `sleep 0` becomes a child of the exec'd `sleep 30`, which never reaps it.
    const parent = spawnKept(["sh", "-c", "sleep 0 & exec sleep 30"]);
    const zombie = await waitFor(() => {
      const pid = childrenOf(parent.pid)[0];
      if (pid === undefined) return undefined;
      return readFileSync(`/proc/${pid}/stat`, "utf8").includes(") Z ") ? pid : undefined;
    });
    const owner = describeOwner(zombie);
    expect(owner.start_time).not.toBeNull();
    expect(isOwnerAlive({ pid: zombie, start_time: null })).toBe(true);
    expect(isOwnerAlive(owner)).toBe(false);
  });

  test("without a start time, liveness is kill(pid, 0)", async () => {
    expect(isOwnerAlive({ pid: process.pid, start_time: null })).toBe(true);
    const child = Bun.spawn(["true"]);
    await child.exited;
    expect(isOwnerAlive({ pid: child.pid, start_time: null })).toBe(false);
    expect(describeOwner(child.pid).start_time).toBeNull();
  });
});

describe.if(linux)("detectOwnerShell", () => {
  test("skips a command-substitution subshell: the owner of `sleep` in bash's $(…; true) is bash", async () => {
    const shell = spawnKept(["bash", "-c", 'x="$(sleep 30; true)"; true']);
    const sleep = await waitFor(() => {
      const subshell = childrenOf(shell.pid)[0];
      return subshell === undefined ? undefined : childrenOf(subshell)[0];
    });
    const subshell = childrenOf(shell.pid)[0] ?? 0;
    expect(readlinkSync(`/proc/${subshell}/fd/1`)).toBe(readlinkSync(`/proc/${sleep}/fd/1`));
    expect(detectOwnerShell(sleep)).toBe(shell.pid);
  });

  test("keeps a parent whose stdout is not the pipe, and a parent that is another program", async () => {
    // The inner bash is a shell in its own right (its stdout is not sleep's pipe).
    const outer = spawnKept(["bash", "-c", "bash -c 'x=\"$(exec sleep 30)\"; true'; true"]);
    const inner = await waitFor(() => childrenOf(outer.pid)[0]);
    const sleep = await waitFor(() => childrenOf(inner)[0]);
    expect(detectOwnerShell(sleep)).toBe(inner);
    // A script (another executable) between the shell and kpm owns the output, even though its
    // stdout is the same pipe: `x=$(sh -c "sleep 30; true")` under bash.
    const wrapped = spawnKept(["bash", "-c", 'x="$(sh -c "sleep 30; true")"; true']);
    const script = await waitFor(() => childrenOf(wrapped.pid)[0]);
    const wrappedSleep = await waitFor(() => childrenOf(script)[0]);
    expect(readlinkSync(`/proc/${script}/fd/1`)).toBe(readlinkSync(`/proc/${wrappedSleep}/fd/1`));
    expect(detectOwnerShell(wrappedSleep)).toBe(script);
  });

  test("this process: its parent when stdout is not a command-substitution pipe", () => {
    const owner = detectOwnerShell();
    expect(owner === process.ppid || isOwnerAlive(describeOwner(owner))).toBe(true);
  });

  const SHELLS: Array<{ shell: string; self: string; forms: string[] }> = [
    {
      shell: "bash",
      self: "$$",
      forms: [
        'eval "$(PROBE)"',
        'eval "$(PROBE 2>/dev/null)"',
        'if true; then eval "$(PROBE --from x 2>/dev/null)"; fi',
        'x="$(PROBE; true)"',
        "source <(PROBE)",
      ],
    },
    {
      shell: "zsh",
      self: "$$",
      forms: ['eval "$(PROBE)"', 'eval "$(PROBE 2>/dev/null)"', 'x="$(PROBE; true)"'],
    },
    {
      shell: "dash",
      self: "$$",
      forms: ['eval "$(PROBE)"', 'eval "$(PROBE 2>/dev/null)"', 'x="$(PROBE; true)"'],
    },
    {
      shell: "fish",
      self: "$fish_pid",
      forms: ["PROBE | source", "PROBE 2>/dev/null | source", "eval (PROBE)"],
    },
  ];

  for (const { shell, self, forms } of SHELLS) {
    test.if(Bun.which(shell) !== null)(
      `${shell}: every load form names the shell itself, where getppid() may not`,
      async () => {
        const dir = makePrivateDir();
        const log = join(dir, "log");
        const probe = `${process.execPath} ${PROBE} ${log}`;
        for (const form of forms) {
          writeFileSync(log, "");
          const script = `echo ${self} > ${log}.self; ${form.replace("PROBE", probe)}; true`;
          const child = Bun.spawn([shell, "-c", script], {
            stdin: "ignore",
            stdout: "ignore",
            stderr: "pipe",
          });
          expect({ form, code: await child.exited }).toEqual({ form, code: 0 });
          const shellPid = Number(readFileSync(`${log}.self`, "utf8"));
          const [detected, parent] = readFileSync(log, "utf8").trim().split(" ").map(Number);
          expect({ form, detected }).toEqual({ form, detected: shellPid });
          // Where bash keeps a subshell, plain getppid() names it: the listener would die at once.
          if (shell === "bash" && form.includes("2>/dev/null")) expect(parent).not.toBe(shellPid);
        }
      },
    );
  }
});
