// Reads an allow-list file. The size is checked on the open descriptor before reading, so a
// huge or growing file is never pulled into memory, and a FIFO never blocks the open.

import { closeSync, constants, fstatSync, openSync, readSync } from "node:fs";
import { getSystemErrorMessage } from "node:util";
import { AllowlistError, parseError } from "./allowlist-error.ts";
import { type Allowlist, MAX_ALLOWLIST_BYTES, parseAllowlist, TOO_LARGE } from "./parse-allowlist.ts";

function describeSystemError(error: unknown): string {
  if (error instanceof Error && "code" in error && typeof error.code === "string") {
    const errno = "errno" in error && typeof error.errno === "number" ? error.errno : undefined;
    return errno === undefined ? error.code : `${error.code}: ${getSystemErrorMessage(errno)}`;
  }
  return String(error);
}

function readLimited(path: string): Buffer {
  let fd: number;
  try {
    fd = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK);
  } catch (error) {
    throw parseError(path, `cannot read file (${describeSystemError(error)})`);
  }
  try {
    const stat = fstatSync(fd);
    if (!stat.isFile()) throw parseError(path, "not a regular file");
    if (stat.size > MAX_ALLOWLIST_BYTES) throw parseError(path, TOO_LARGE);
    // Read one byte past the limit so a file that grew after fstat is still refused.
    const buffer = Buffer.allocUnsafe(MAX_ALLOWLIST_BYTES + 1);
    let length = 0;
    for (;;) {
      const read = readSync(fd, buffer, length, buffer.length - length, null);
      if (read === 0) break;
      length += read;
      if (length > MAX_ALLOWLIST_BYTES) throw parseError(path, TOO_LARGE);
    }
    return buffer.subarray(0, length);
  } catch (error) {
    if (error instanceof AllowlistError) throw error;
    throw parseError(path, `cannot read file (${describeSystemError(error)})`);
  } finally {
    closeSync(fd);
  }
}

/**
 * `trust` (project trust) is asked with the exact bytes that will be parsed; false refuses the
 * file (code "untrusted"). The caller decides which files need asking and words the refusal.
 */
export function loadAllowlist(path: string, trust?: (file: string, bytes: Uint8Array) => boolean): Allowlist {
  const bytes = readLimited(path);
  if (trust !== undefined && !trust(path, bytes)) {
    throw new AllowlistError("untrusted", `kpm: untrusted allow-list ${path}`);
  }
  return parseAllowlist(bytes.toString("utf8"), path);
}
