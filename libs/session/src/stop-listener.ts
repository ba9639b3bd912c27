// Ending a session early (`kpm env --unload`, spec §8.1): SIGTERM the listener named by the
// session record and wait for its socket to disappear.
import { readFileSync } from "node:fs";
import { pathExists } from "./path-exists.ts";
import { readSessionRecord } from "./session-record.ts";

export const STOP_WAIT_MS = 2000;
const POLL_MS = 10;

/** True when the listener was signalled and its socket is gone within 2 s. */
export async function stopListener(
  runtimeDir: string,
  sessionId: string,
  socketPath: string,
): Promise<boolean> {
  const record = readSessionRecord(runtimeDir, sessionId);
  if (record === null || !isListenerProcess(record.pid, sessionId)) return false;
  try {
    process.kill(record.pid, "SIGTERM");
  } catch {
    return false;
  }
  const deadline = Date.now() + STOP_WAIT_MS;
  while (pathExists(socketPath)) {
    if (Date.now() >= deadline) return false;
    await Bun.sleep(POLL_MS);
  }
  return true;
}

/**
 * Guards against a recycled pid: where /proc exists, the process must be this session's
 * listener (argv ends with "_listen --session <sid>") before it is signalled.
 */
function isListenerProcess(pid: number, sessionId: string): boolean {
  let cmdline: string;
  try {
    cmdline = readFileSync(`/proc/${pid}/cmdline`, "utf8");
  } catch {
    // No /proc (macOS) or the process is gone: rely on the record alone.
    return process.platform !== "linux" || pathExists(`/proc/${pid}`);
  }
  return cmdline.endsWith(`\0_listen\0--session\0${sessionId}\0`);
}
