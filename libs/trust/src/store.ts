// The trust store, `<DataDir>/trust.json` (0600, directory 0700): the absolute path of every
// project file the user trusted and the SHA-256 of the content they reviewed. Written atomically
// (temporary file + rename) so a crash never leaves half a store; a store that does not read back
// as exactly that shape is an error, never "trust nothing" silently and never "trust all".

import { describeFsError } from "@kpm/bounded-read/error";
import { requireBuiltin } from "@kpm/deferred";
import { basename, dirname, isAbsolute, join } from "@kpm/deferred/path";
import { readRegularFile } from "./read-file.ts";
import { TrustError } from "./trust-error.ts";

export const TRUST_STORE_FILE = "trust.json";
/** ~100k records; a bigger file is not one kpm wrote. */
const MAX_STORE_BYTES = 16 * 1024 * 1024;
const SHA256_HEX = /^[0-9a-f]{64}$/;
const STORE_VERSION = 1;

/** Absolute path → lowercase SHA-256 hex. */
export type TrustRecords = Map<string, string>;

/** The records in `path`; a missing file is an empty store. */
export function readTrustStore(path: string): TrustRecords {
  const read = readRegularFile(path, MAX_STORE_BYTES);
  if (read.kind === "missing") return new Map();
  if (read.kind === "problem") throw corrupt(path, read.detail);
  // Anyone who can write the store can make kpm use their files: refuse a store others can write.
  if (process.platform !== "win32" && (read.mode & 0o022) !== 0) {
    const mode = (read.mode & 0o777).toString(8).padStart(4, "0");
    throw new TrustError(
      "unsafe",
      `kpm: trust store ${path} is writable by group or others (mode ${mode}); run: chmod 600 ${path}`,
    );
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(read.bytes));
  } catch {
    throw corrupt(path, "not valid UTF-8 JSON");
  }
  return parseRecords(parsed, path);
}

function parseRecords(parsed: unknown, path: string): TrustRecords {
  if (!isObject(parsed) || parsed.version !== STORE_VERSION || !isObject(parsed.files)) {
    throw corrupt(path, `expected {"version": ${STORE_VERSION}, "files": {…}}`);
  }
  const records: TrustRecords = new Map();
  for (const [file, hash] of Object.entries(parsed.files)) {
    if (!isAbsolute(file) || file.includes("\0")) throw corrupt(path, "a file name is not an absolute path");
    if (typeof hash !== "string" || !SHA256_HEX.test(hash)) {
      throw corrupt(path, `the hash of ${file} is not a SHA-256 hex digest`);
    }
    records.set(file, hash);
  }
  return records;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function corrupt(path: string, detail: string): TrustError {
  return new TrustError(
    "corrupt",
    `kpm: trust store ${path} is unusable (${detail}); fix or delete it, then run kpm trust again`,
  );
}

/** Replaces the store with `records` (sorted, so diffs and --list are stable). */
export function writeTrustStore(path: string, records: TrustRecords): void {
  const files = Object.fromEntries([...records].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
  const text = `${JSON.stringify({ version: STORE_VERSION, files }, null, 2)}\n`;
  const dir = dirname(path);
  const temporary = join(dir, `.${basename(path)}.${process.pid}.${randomSuffix()}.tmp`);
  try {
    ensurePrivateDir(dir);
    const fs = requireBuiltin("node:fs");
    const fd = fs.openSync(temporary, "wx", 0o600);
    try {
      const bytes = new TextEncoder().encode(text);
      for (let written = 0; written < bytes.length; ) written += fs.writeSync(fd, bytes, written);
      fs.fsyncSync(fd);
    } finally {
      fs.closeSync(fd);
    }
    // Exactly 0600 whatever the umask.
    fs.chmodSync(temporary, 0o600);
    fs.renameSync(temporary, path);
  } catch (error) {
    removeQuietly(temporary);
    throw new TrustError("io", `kpm: cannot write trust store ${path}: ${describeFsError(error)}`);
  }
}

function removeQuietly(path: string): void {
  try {
    requireBuiltin("node:fs").rmSync(path, { force: true });
  } catch {
    // Never created (the directory is missing or not a directory): nothing to clean up.
  }
}

/** `<DataDir>` is 0700 when kpm creates it (an existing directory keeps its mode). */
function ensurePrivateDir(dir: string): void {
  const fs = requireBuiltin("node:fs");
  const created = fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  if (created !== undefined) fs.chmodSync(dir, 0o700);
}

function randomSuffix(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(6));
  return Array.from(bytes, (byte) => byte.toString(16).padStart(2, "0")).join("");
}
