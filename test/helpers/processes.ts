// Watching and cleaning up real processes in end-to-end tests: polling /proc with a deadline,
// reading a process's state, and a tracker that SIGKILLs everything a test started.
import { existsSync, readFileSync } from "node:fs";

export const NOBODY = 65534;
export const AS_NOBODY = ["setpriv", `--reuid=${NOBODY}`, `--regid=${NOBODY}`, "--clear-groups"];

/** Polls `check` every 20 ms until it returns a value other than undefined, or fails after `ms`. */
export async function waitFor<T>(what: string, check: () => T | undefined, ms = 5000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await Bun.sleep(20);
  }
}

/** The state letter of /proc/<pid>/stat (R, S, T, Z, …), or undefined once the pid is gone. */
export function processState(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    return stat.slice(stat.lastIndexOf(")") + 2).split(" ")[0];
  } catch {
    return undefined;
  }
}

/** Alive: present and not a zombie (a killed orphan waits as a zombie for its reaper). */
export const isAlive = (pid: number): boolean => {
  const state = processState(pid);
  return state !== undefined && state !== "Z" && state !== "X";
};

export function parentOf(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  return Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
}

export function processGroupOf(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  return Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[2]);
}

export function commandOf(pid: number): string | undefined {
  try {
    return readFileSync(`/proc/${pid}/comm`, "utf8").trim();
  } catch {
    return undefined;
  }
}

/** A pid written to `file` by the process itself (`echo $$ > file`), once it is there. */
export function pidFrom(file: string): number | undefined {
  if (!existsSync(file)) return undefined;
  const text = readFileSync(file, "utf8").trim();
  return /^\d+$/.test(text) ? Number(text) : undefined;
}

/** Remembers pids and SIGKILLs those still alive (afterEach). */
export class ProcessTracker {
  private readonly pids = new Set<number>();

  track(pid: number): number {
    this.pids.add(pid);
    return pid;
  }

  killAll(): void {
    for (const pid of this.pids) {
      try {
        if (isAlive(pid)) process.kill(pid, "SIGKILL");
      } catch {
        // gone already
      }
    }
    this.pids.clear();
  }
}
