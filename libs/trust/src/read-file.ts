// Bounded read of one regular file: O_NONBLOCK so a FIFO planted in a project never blocks the
// open, fstat on the descriptor so what is checked is what is read, and a size cap so a huge or
// growing file is never pulled into memory.

import { closeSync, constants, fstatSync, openSync, readSync } from "node:fs";

export type FileRead =
  | { kind: "bytes"; bytes: Uint8Array; mode: number }
  | { kind: "missing" }
  | { kind: "problem"; detail: string };

export function readRegularFile(path: string, maxBytes: number): FileRead {
  let fd: number;
  try {
    fd = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK);
  } catch (error) {
    const code = errorCode(error);
    if (code === "ENOENT" || code === "ENOTDIR") return { kind: "missing" };
    return { kind: "problem", detail: code ?? String(error) };
  }
  try {
    const stat = fstatSync(fd);
    if (!stat.isFile()) return { kind: "problem", detail: "not a regular file" };
    if (stat.size > maxBytes) return { kind: "problem", detail: `larger than ${maxBytes} bytes` };
    // One byte of headroom tells a file that grew after fstat apart from one of exactly maxBytes.
    const buffer = new Uint8Array(maxBytes + 1);
    let length = 0;
    for (;;) {
      const read = readSync(fd, buffer, length, buffer.length - length, null);
      if (read === 0) break;
      length += read;
      if (length > maxBytes) return { kind: "problem", detail: `larger than ${maxBytes} bytes` };
    }
    return { kind: "bytes", bytes: buffer.slice(0, length), mode: stat.mode };
  } catch (error) {
    return { kind: "problem", detail: errorCode(error) ?? String(error) };
  } finally {
    closeSync(fd);
  }
}

export function errorCode(error: unknown): string | undefined {
  return error instanceof Error && "code" in error && typeof error.code === "string" ? error.code : undefined;
}
