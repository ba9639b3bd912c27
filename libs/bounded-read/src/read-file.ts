// Reads a whole file under a size cap that is checked while reading: a regular file is refused by
// its fstat size before any read, anything else by counting bytes, because a character device or a
// FIFO reports size 0 and /dev/zero never ends (a read-all would never return).
//
// A regular file is opened and read through libc (@kpm/libc openRegularFile) where it can be:
// node:fs costs ~3 ms to load in a compiled binary, more than the rest of a warm `kpm run`'s file
// work. Anything else — a device, a FIFO, a failure whose error must be worded — goes through
// node:fs, loaded then. Both are read by the one loop below (readAll).
import { requireBuiltin } from "@kpm/deferred";
import { closeFile, O_NOCTTY, O_NONBLOCK, O_RDONLY, openRegularFile, readInto } from "@kpm/libc";
import { BoundedReadError } from "./bounded-read-error.ts";

export interface ReadFileOptions {
  /**
   * Refuse anything but a regular file (symlinks followed). The open is non-blocking, so a FIFO
   * without a writer is refused instead of blocking the open.
   */
  regularOnly?: boolean;
}

/** The first buffer when the size is unknown (fstat says 0): a device or FIFO rarely gives more per read. */
const FIRST_CHUNK = 64 * 1024;

/**
 * The file's bytes, at most `maxBytes` of them. Throws only BoundedReadError: `too_large`,
 * `not_regular` (with `regularOnly`), or the errno name of what failed (`EISDIR` for a directory).
 * Buffers it lets go of are zeroed, so a private key read through here exists once in memory.
 */
export function readFileBounded(path: string, maxBytes: number, options: ReadFileOptions = {}): Uint8Array {
  return readFileWithMode(path, maxBytes, options).bytes;
}

/** readFileBounded, plus the st_mode of what was read (from the same descriptor: no race with a rename). */
export function readFileWithMode(
  path: string,
  maxBytes: number,
  options: ReadFileOptions = {},
): { bytes: Uint8Array; mode: number } {
  // O_NOCTTY as readFileSync opens: a terminal device named here never becomes the controlling tty.
  const flags = O_RDONLY | O_NOCTTY | (options.regularOnly ? O_NONBLOCK : 0);
  const opened = openRegularFile(path, flags);
  if (opened !== undefined && "missing" in opened) {
    // The same error node:fs would have thrown: fromSystem words it from the code alone.
    throw BoundedReadError.fromSystem({ code: opened.missing }, maxBytes);
  }
  if (opened !== undefined) {
    try {
      if (opened.size > maxBytes) throw BoundedReadError.tooLarge("file", maxBytes, opened.size);
      const bytes = readAll(maxBytes, opened.size, (buffer, offset) => {
        const read = readInto(opened.fd, buffer.subarray(offset));
        if (read < 0) throw LIBC_READ_FAILED;
        return read;
      });
      return { bytes, mode: opened.mode };
    } catch (error) {
      // A failed read through libc is read again through node:fs, which words its error.
      if (error !== LIBC_READ_FAILED) throw error;
    } finally {
      closeFile(opened.fd);
    }
  }
  const { closeSync, fstatSync, openSync } = requireBuiltin("node:fs");
  let fd: number;
  try {
    fd = openSync(path, flags);
  } catch (error) {
    throw BoundedReadError.fromSystem(error, maxBytes);
  }
  try {
    const stat = fstatSync(fd);
    const regular = stat.isFile();
    if (options.regularOnly && !regular) {
      throw new BoundedReadError("not_regular", "not a regular file", maxBytes);
    }
    if (stat.isDirectory()) throw new BoundedReadError("EISDIR", "is a directory", maxBytes);
    if (regular && stat.size > maxBytes) throw BoundedReadError.tooLarge("file", maxBytes, stat.size);
    const { readSync } = requireBuiltin("node:fs");
    const bytes = readAll(maxBytes, regular ? stat.size : 0, (buffer, offset) =>
      readSync(fd, buffer, offset, buffer.length - offset, null),
    );
    return { bytes, mode: stat.mode };
  } catch (error) {
    if (error instanceof BoundedReadError) throw error;
    throw BoundedReadError.fromSystem(error, maxBytes);
  } finally {
    closeSync(fd);
  }
}

/** Thrown by the libc reader of readAll when read(2) fails: readFileWithMode then uses node:fs. */
const LIBC_READ_FAILED = Symbol("libc read failed");

/**
 * Reads to end of file with `read` (into `buffer` from `offset`: the byte count, 0 at the end);
 * `expected` sizes the first buffer (a regular file may still grow or shrink).
 */
function readAll(
  maxBytes: number,
  expected: number,
  read: (buffer: Uint8Array, offset: number) => number,
): Uint8Array {
  // One byte past the expected size (or the cap) tells "all of it" from "more" in the second read;
  // sized to the file, not to a chunk: a zeroed 64 KiB buffer per PEM file tripled the read's cost.
  let buffer = new Uint8Array(Math.min(maxBytes, expected > 0 ? expected : FIRST_CHUNK) + 1);
  let length = 0;
  try {
    for (;;) {
      if (length === buffer.length) {
        if (length > maxBytes) throw BoundedReadError.tooLarge("file", maxBytes);
        const larger = new Uint8Array(Math.min(buffer.length * 2, maxBytes + 1));
        larger.set(buffer);
        buffer.fill(0);
        buffer = larger;
      }
      const count = read(buffer, length);
      if (count === 0) return buffer.subarray(0, length);
      length += count;
    }
  } catch (error) {
    buffer.fill(0);
    throw error;
  }
}
