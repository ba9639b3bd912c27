// Ending a session early (`kpm env --unload`, spec §8.1, and a reload in the same shell):
// SIGTERM the listener named by the session record and wait for its socket to disappear.
import { readFileSync } from "node:fs";
import { type OwnerProcess, sameOwner } from "./owner.ts";
import { pathExists } from "./path-exists.ts";
import { listSessionRecords, readSessionRecord } from "./session-record.ts";

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

export interface OwnedListenerFilter {
  /** Only listeners a later load replaces (shell output), not ones asked for with --listener. */
  replaceableOnly: boolean;
  /** A session to leave running: the one that replaces the others. */
  keep?: string;
}

/** Stops the listeners `owner` owns (docs/sessions.md); resolves with the ids of those stopped. */
export async function stopOwnedListeners(
  runtimeDir: string,
  owner: OwnerProcess,
  filter: OwnedListenerFilter,
): Promise<string[]> {
  const owned = listSessionRecords(runtimeDir).filter(
    (record) =>
      record.owner != null &&
      sameOwner(record.owner, owner) &&
      record.session !== filter.keep &&
      (!filter.replaceableOnly || record.replaceable === true),
  );
  const stopped = await Promise.all(
    owned.map((record) => stopListener(runtimeDir, record.session, record.socket)),
  );
  return owned.filter((_, index) => stopped[index]).map((record) => record.session);
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
