// Real processes a session test starts (listeners, stand-in shells): whether one is still there,
// waiting for it to go, and SIGKILLing whatever a test left running (afterEach).
import { isPidAlive } from "@kpm/libc";

const started: number[] = [];

/** Remembers `pid` for killStarted(); returns it. */
export function trackPid(pid: number): number {
  started.push(pid);
  return pid;
}

/** SIGKILLs every tracked process; most have exited already, as the tests expect. */
export function killStarted(): void {
  for (const pid of started.splice(0)) {
    try {
      process.kill(pid, "SIGKILL");
    } catch {
      // Already exited.
    }
  }
}

/** Signal 0 reaches it (a zombie still counts: it has not been reaped): the lib's own check. */
export const isAlive = isPidAlive;

/** True once `pid` is gone, false if it is still there after `ms` (by default, wait for good). */
export async function waitForExit(pid: number, ms = Number.POSITIVE_INFINITY): Promise<boolean> {
  const deadline = Date.now() + ms;
  while (isAlive(pid)) {
    if (Date.now() > deadline) return false;
    await Bun.sleep(20);
  }
  return true;
}
