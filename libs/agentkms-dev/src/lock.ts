// The cross-process lock around every read-modify-write of secrets.enc (cli §15.1, §15.3): an
// exclusively created secrets.enc.lock holding the owner's PID. agentkms-dev has none and loses updates.
import { closeSync, openSync, readFileSync, realpathSync, statSync, unlinkSync, writeSync } from "node:fs";
import { join, resolve } from "node:path";
import { isPidAlive } from "@kpm/libc";
import { DevError, ioError, systemErrorCode } from "./errors.ts";

export interface StoreLockOptions {
  /** How long to wait for another holder; 10 s by default (cli §15.3). */
  timeoutMs?: number;
}

const DEFAULT_TIMEOUT_MS = 10_000;
const FIRST_BACKOFF_MS = 2;
const MAX_BACKOFF_MS = 100;
// A holder creates the file and writes its PID right away; an empty file older than this was
// left by a process that died in between.
const EMPTY_LOCK_GRACE_MS = 2_000;
// The takeover guard is held for two syscalls; one this old belongs to a dead process.
const TAKEOVER_GRACE_MS = 5_000;

// Calls in one process queue here, so they never spin on a lock file that their own PID holds.
const inProcessQueues = new Map<string, Promise<unknown>>();

export function storeLockPath(dir: string): string {
  return join(dir, "secrets.enc.lock");
}

/** Runs `fn` while holding `<dir>/secrets.enc.lock`; serialised within the process as well. */
export async function withStoreLock<T>(
  dir: string,
  fn: () => Promise<T> | T,
  opts: StoreLockOptions = {},
): Promise<T> {
  // The real path, so two spellings of one dir (symlinks, relative) share one in-process queue:
  // a caller that bypassed the queue would see its own PID in the file and take the lock over.
  const lockFile = storeLockPath(canonicalDir(dir));
  const previous = inProcessQueues.get(lockFile) ?? Promise.resolve();
  const run = previous.then(async () => {
    const held = await acquire(lockFile, opts.timeoutMs ?? DEFAULT_TIMEOUT_MS);
    try {
      return await fn();
    } finally {
      release(lockFile, held);
    }
  });
  const tail = run.catch(() => undefined);
  inProcessQueues.set(lockFile, tail);
  try {
    return await run;
  } finally {
    if (inProcessQueues.get(lockFile) === tail) inProcessQueues.delete(lockFile);
  }
}

function canonicalDir(dir: string): string {
  try {
    return realpathSync(dir);
  } catch {
    // A missing dir fails with a clear message when the lock file is created.
    return resolve(dir);
  }
}

interface HeldLock {
  ino: number;
}

async function acquire(lockFile: string, timeoutMs: number): Promise<HeldLock> {
  const deadline = Date.now() + timeoutMs;
  let backoff = FIRST_BACKOFF_MS;
  for (;;) {
    const held = tryCreate(lockFile);
    if (held) return held;
    const holder = inspect(lockFile);
    // Gone already (released meanwhile), or stale and removed by us: try to create it again at once.
    if (holder.ino < 0 || (holder.stale && removeIfUnchanged(lockFile, holder.ino))) continue;
    if (Date.now() >= deadline) {
      throw new DevError("store_locked", `store is locked by PID ${holder.pid ?? "unknown"} (${lockFile})`);
    }
    await Bun.sleep(backoff);
    backoff = Math.min(backoff * 2, MAX_BACKOFF_MS);
  }
}

function tryCreate(lockFile: string): HeldLock | null {
  let fd: number;
  try {
    fd = openSync(lockFile, "wx", 0o600);
  } catch (error) {
    if (systemErrorCode(error) === "EEXIST") return null;
    throw ioError(`create ${lockFile}`, error);
  }
  try {
    writeSync(fd, `${process.pid}\n`);
    return { ino: statSync(lockFile).ino };
  } finally {
    closeSync(fd);
  }
}

interface Holder {
  pid: number | null;
  ino: number;
  stale: boolean;
}

function inspect(lockFile: string): Holder {
  let content: string;
  let ino: number;
  let mtimeMs: number;
  try {
    ({ ino, mtimeMs } = statSync(lockFile));
    content = readFileSync(lockFile, "utf8");
  } catch (error) {
    if (systemErrorCode(error) === "ENOENT") return { pid: null, ino: -1, stale: false };
    throw ioError(`read ${lockFile}`, error);
  }
  const pid = /^\d+$/.test(content.trim()) ? Number(content.trim()) : null;
  if (pid === null) return { pid, ino, stale: Date.now() - mtimeMs > EMPTY_LOCK_GRACE_MS };
  // Our own PID in the file cannot be a live holder (in-process callers queue above): it was
  // left by an earlier process that had the same PID.
  return { pid, ino, stale: pid === process.pid || !isPidAlive(pid) };
}

/**
 * Deletes a stale lock unless another waiter already replaced it. Waiters that find the same
 * stale lock race here; a short-lived guard file makes "check inode, then unlink" atomic.
 */
function removeIfUnchanged(lockFile: string, staleIno: number): boolean {
  const guard = `${lockFile}.takeover`;
  let fd: number;
  try {
    fd = openSync(guard, "wx", 0o600);
  } catch (error) {
    if (systemErrorCode(error) !== "EEXIST") throw ioError(`create ${guard}`, error);
    removeAbandonedGuard(guard);
    return false;
  }
  try {
    const current = statSync(lockFile, { throwIfNoEntry: false });
    if (current && current.ino === staleIno) unlinkSync(lockFile);
    return true;
  } finally {
    closeSync(fd);
    unlinkSync(guard);
  }
}

function removeAbandonedGuard(guard: string): void {
  const stat = statSync(guard, { throwIfNoEntry: false });
  if (stat && Date.now() - stat.mtimeMs > TAKEOVER_GRACE_MS) {
    try {
      unlinkSync(guard);
    } catch {
      // Another waiter removed it first.
    }
  }
}

function release(lockFile: string, held: HeldLock): void {
  // Only remove the file we created: if we were wrongly declared stale, it is someone else's now.
  const current = statSync(lockFile, { throwIfNoEntry: false });
  if (current && current.ino === held.ino) unlinkSync(lockFile);
}
