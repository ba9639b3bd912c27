// Whether a process id names a running process: kill(pid, 0), the one liveness check that the dev
// server's state and lock, the session records and the CLI share.

/**
 * True when `pid` names a process that exists, ours or someone else's (EPERM means it exists
 * but belongs to another user). Not a positive integer: false, since kill(0, 0) and kill(-1, 0)
 * would ask about a whole process group instead.
 */
export function isPidAlive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as { code?: unknown }).code === "EPERM";
  }
}
