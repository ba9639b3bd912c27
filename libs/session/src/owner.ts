// The shell that owns a listener (docs/sessions.md): which process it is, whether it still runs,
// and how `kpm env` finds it from its own parent. On Linux a pid is paired with its start time
// from /proc/<pid>/stat, so a recycled pid is never taken for the shell; elsewhere kill(pid, 0).
import { readFileSync, readlinkSync } from "node:fs";
import { isPidAlive } from "@kpm/libc";

/** A process as the session record and the start document spell it. */
export interface OwnerProcess {
  pid: number;
  /** Clock ticks since boot (/proc/<pid>/stat field 22), or null where there is no /proc. */
  start_time: string | null;
}

/** How often a listener looks at its owner: one small /proc read, so exit follows within ~1 s. */
export const OWNER_POLL_MS = 1000;

/** Nested command substitutions deeper than this are not worth following. */
const MAX_SUBSHELL_DEPTH = 4;

interface ProcessStat {
  state: string;
  ppid: number;
  startTime: string;
}

/** Fields of /proc/<pid>/stat after the command name, which may itself hold spaces and ")". */
function readStat(pid: number): ProcessStat | null {
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/stat`, "utf8");
  } catch {
    return null;
  }
  const fields = text.slice(text.lastIndexOf(")") + 2).split(" ");
  // fields[0] is field 3 (state), fields[1] field 4 (ppid), fields[19] field 22 (starttime).
  const [state, ppid, startTime] = [fields[0], fields[1], fields[19]];
  if (state === undefined || ppid === undefined || startTime === undefined) return null;
  return { state, ppid: Number(ppid), startTime };
}

function linkTarget(path: string): string | null {
  try {
    return readlinkSync(path);
  } catch {
    return null;
  }
}

/** The process `pid` as an owner; its start time only where /proc answers. */
export function describeOwner(pid: number): OwnerProcess {
  return { pid, start_time: process.platform === "linux" ? (readStat(pid)?.startTime ?? null) : null };
}

/** Whether the owner still runs: same pid and start time, and not a zombie waiting to be reaped. */
export function isOwnerAlive(owner: OwnerProcess): boolean {
  if (owner.start_time === null) return isPidAlive(owner.pid);
  const stat = readStat(owner.pid);
  if (stat === null || stat.state === "Z" || stat.state === "X") return false;
  return stat.startTime === owner.start_time;
}

export function sameOwner(a: OwnerProcess, b: OwnerProcess): boolean {
  return a.pid === b.pid && a.start_time === b.start_time;
}

/**
 * The shell whose environment the output of process `of` (default: this one, i.e. `kpm env`) is
 * for: its parent, unless that parent is a command-substitution subshell. bash forks one for
 * `eval "$(kpm env … 2>/dev/null)"` and waits in it; zsh, dash and fish exec kpm directly. A
 * subshell is a fork of the shell (same executable) whose stdout is the very pipe kpm writes
 * to, so those are skipped. A nested interactive shell has its terminal on stdout and is kept.
 * Without /proc: the parent.
 */
export function detectOwnerShell(of: number = process.pid): number {
  if (process.platform !== "linux") return process.ppid;
  let pid = readStat(of)?.ppid ?? process.ppid;
  const output = linkTarget(`/proc/${of}/fd/1`);
  if (output === null || !output.startsWith("pipe:")) return pid;
  for (let depth = 0; depth < MAX_SUBSHELL_DEPTH; depth++) {
    const parent = readStat(pid)?.ppid;
    if (parent === undefined || parent <= 1) break;
    if (linkTarget(`/proc/${pid}/fd/1`) !== output) break;
    const executable = linkTarget(`/proc/${pid}/exe`);
    if (executable === null || executable !== linkTarget(`/proc/${parent}/exe`)) break;
    pid = parent;
  }
  return pid;
}

/** Calls onGone once the owner has exited; the returned function stops watching. */
export function watchOwner(owner: OwnerProcess, onGone: () => void, intervalMs = OWNER_POLL_MS): () => void {
  const timer = setInterval(() => {
    if (isOwnerAlive(owner)) return;
    clearInterval(timer);
    onGone();
  }, intervalMs);
  return () => clearInterval(timer);
}
