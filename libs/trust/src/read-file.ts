// Bounded read of one regular file, through @kpm/bounded-read (the one bounded reader): O_NONBLOCK
// so a FIFO planted in a project never blocks the open, fstat on the descriptor so what is checked
// is what is read, and a size cap so a huge or growing file is never pulled into memory. Trust
// only adds its verdict: a missing file is no problem, anything else is one, in the reader's words.

import { BoundedReadError, readFileWithMode } from "@kpm/bounded-read";

export type FileRead =
  | { kind: "bytes"; bytes: Uint8Array; mode: number }
  | { kind: "missing" }
  | { kind: "problem"; detail: string };

export function readRegularFile(path: string, maxBytes: number): FileRead {
  try {
    return { kind: "bytes", ...readFileWithMode(path, maxBytes, { regularOnly: true }) };
  } catch (error) {
    if (!(error instanceof BoundedReadError)) throw error;
    if (error.code === "ENOENT" || error.code === "ENOTDIR") return { kind: "missing" };
    return { kind: "problem", detail: error.message };
  }
}
