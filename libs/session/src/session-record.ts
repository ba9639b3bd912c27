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
  writeSync,
} from "node:fs";

import { dirname, join, resolve } from "node:path";
import { isPidAlive } from "@kpm/libc";
import * as z from "zod/mini";
import { removeQuietly } from "./daemon.ts";
import { isValidSessionId } from "./session-id.ts";

/** An owner shell as records and start documents spell it (OwnerProcess). */
export const ownerSchema = z.object({ pid: z.int().check(z.positive()), start_time: z.nullable(z.string()) });

const sessionRecordSchema = z.object({
  session: z.string(),
  pid: z.int().check(z.positive()),
  socket: z.string(),
  strict: z.boolean(),
  created_at: z.string(),
  expires_at: z.nullable(z.string()),
  idle_timeout: z.nullable(z.int()),
  // The shell the listener exits with, and whether a later load in that shell replaces it
  // (docs/sessions.md). Optional: records of earlier listeners lack both.
  owner: z.optional(z.nullable(ownerSchema)),
  replaceable: z.optional(z.boolean()),
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

/** Every well-formed record in runtimeDir whose file name matches its session. */
export function listSessionRecords(runtimeDir: string): SessionRecord[] {
  return recordFiles(runtimeDir).map(({ record }) => record);
}

function recordFiles(runtimeDir: string): Array<{ path: string; record: SessionRecord }> {
  let names: string[];
  try {
    names = readdirSync(runtimeDir);
  } catch {
    return [];
  }
  const found: Array<{ path: string; record: SessionRecord }> = [];
  for (const name of names) {
    if (!name.endsWith(".json")) continue;
    const path = join(runtimeDir, name);
    const record = readRecordFile(path);
    if (record !== null && record.session === name.slice(0, -".json".length)) found.push({ path, record });
  }
  return found;
}

/** Removes records whose pid is gone, and the socket each names when it lies inside runtimeDir. */
export function cleanupStaleSessions(runtimeDir: string): void {
  const directory = resolve(runtimeDir);
  for (const { path: recordPath, record } of recordFiles(runtimeDir)) {
    // Alive includes a pid of another user's (EPERM): not ours to clean.
    if (isPidAlive(record.pid)) continue;
    removeQuietly(recordPath);
    const socketPath = resolve(directory, record.socket);
    if (dirname(socketPath) === directory && isSocket(socketPath)) removeQuietly(socketPath);
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
