// Session records (spec §7.3): <RuntimeDir>/<sid>.json, written by the listener after bind so
// clients and stale cleanup can find its pid. Never holds key material or references.
import {
  closeSync,
  constants,
  fchmodSync,
  lstatSync,
  openSync,
  readdirSync,
  readFileSync,
  unlinkSync,
  writeSync,
} from "node:fs";
import { dirname, join, resolve } from "node:path";
import * as z from "zod/mini";
import { isValidSessionId } from "./session-id.ts";

const sessionRecordSchema = z.object({
  session: z.string(),
  pid: z.int().check(z.positive()),
  socket: z.string(),
  strict: z.boolean(),
  created_at: z.string(),
  expires_at: z.nullable(z.string()),
  idle_timeout: z.nullable(z.int()),
});

export type SessionRecord = z.infer<typeof sessionRecordSchema>;

export function sessionRecordPath(runtimeDir: string, sessionId: string): string {
  return join(runtimeDir, `${sessionId}.json`);
}

export function readSessionRecord(runtimeDir: string, sessionId: string): SessionRecord | null {
  if (!isValidSessionId(sessionId)) return null;
  const record = readRecordFile(sessionRecordPath(runtimeDir, sessionId));
  return record !== null && record.session === sessionId ? record : null;
}

/** Writes the record with mode 0600; O_NOFOLLOW so a planted symlink is never followed. */
export function writeSessionRecord(runtimeDir: string, record: SessionRecord): void {
  const path = sessionRecordPath(runtimeDir, record.session);
  const flags = constants.O_WRONLY | constants.O_CREAT | constants.O_TRUNC | constants.O_NOFOLLOW;
  const fd = openSync(path, flags, 0o600);
  try {
    fchmodSync(fd, 0o600);
    writeSync(fd, JSON.stringify(record));
  } finally {
    closeSync(fd);
  }
}

/** Removes records whose pid is gone, and the socket each names when it lies inside runtimeDir. */
export function cleanupStaleSessions(runtimeDir: string): void {
  let names: string[];
  try {
    names = readdirSync(runtimeDir);
  } catch {
    return;
  }
  const directory = resolve(runtimeDir);
  for (const name of names) {
    if (!name.endsWith(".json")) continue;
    const sessionId = name.slice(0, -".json".length);
    const recordPath = join(runtimeDir, name);
    const record = readRecordFile(recordPath);
    if (record === null || record.session !== sessionId || isProcessAlive(record.pid)) continue;
    removeQuietly(recordPath);
    const socketPath = resolve(directory, record.socket);
    if (dirname(socketPath) === directory && isSocket(socketPath)) removeQuietly(socketPath);
  }
}

export function isProcessAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: the pid exists but belongs to someone else — alive, and not ours to clean.
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}

function readRecordFile(path: string): SessionRecord | null {
  try {
    const parsed = sessionRecordSchema.safeParse(JSON.parse(readFileSync(path, "utf8")));
    return parsed.success ? parsed.data : null;
  } catch {
    return null;
  }
}

function isSocket(path: string): boolean {
  try {
    return lstatSync(path).isSocket();
  } catch {
    return false;
  }
}

function removeQuietly(path: string): void {
  try {
    unlinkSync(path);
  } catch {
    // Already gone (another kpm cleaned it concurrently): nothing to do.
  }
}
