// The one error of a bounded read: a stable `code` callers branch on, and a short lower-case
// `message` worded like Go's kpm ("no such file or directory", "file too large (max 1 MiB)")
// that callers put after their own "read cert <path>: ".

import { MiB } from "./limits.ts";

/**
 * The reader's own refusals are lower-case: `too_large`, `not_regular`. Everything else is the
 * errno name of what failed ("ENOENT", "EACCES"; "EISDIR" for a directory, found before reading).
 */
export type BoundedReadErrorCode = "too_large" | "not_regular" | (string & {});

const errnoReasons: Readonly<Record<string, string>> = {
  ENOENT: "no such file or directory",
  EACCES: "permission denied",
  EPERM: "operation not permitted",
  EISDIR: "is a directory",
  ENOTDIR: "not a directory",
  ELOOP: "too many levels of symbolic links",
  ENAMETOOLONG: "file name too long",
  EMFILE: "too many open files",
  ENFILE: "too many open files in system",
  EIO: "input/output error",
  ENXIO: "no such device or address",
  EAGAIN: "resource temporarily unavailable",
};

/** The errno name of a node:fs (or any system) error, if it has one. */
export function errorCode(error: unknown): string | undefined {
  if (typeof error === "object" && error !== null && "code" in error && typeof error.code === "string") {
    return error.code;
  }
  return undefined;
}

/**
 * The one wording of a filesystem error kpm prints: the short lower-case reason users know from
 * Go's kpm ("no such file or directory"), never a stack; "unknown error" without an errno.
 */
export function describeFsError(error: unknown): string {
  const code = errorCode(error);
  if (code === undefined) return "unknown error";
  return errnoReasons[code] ?? code.toLowerCase();
}

/** "1 MiB" for whole mebibytes, else the exact byte count ("1000000 bytes"). */
export function formatLimit(maxBytes: number): string {
  return maxBytes % MiB === 0 ? `${maxBytes / MiB} MiB` : `${maxBytes} bytes`;
}

export class BoundedReadError extends Error {
  override readonly name = "BoundedReadError";

  constructor(
    readonly code: BoundedReadErrorCode,
    message: string,
    /** The cap the read was held to. */
    readonly maxBytes: number,
    /** The whole size when it is known without reading it (a regular file's fstat size). */
    readonly size?: number,
  ) {
    super(message);
  }

  static tooLarge(what: string, maxBytes: number, size?: number): BoundedReadError {
    return new BoundedReadError(
      "too_large",
      `${what} too large (max ${formatLimit(maxBytes)})`,
      maxBytes,
      size,
    );
  }

  /** Wraps a node:fs error (or anything thrown by open/fstat/read) by its errno name. */
  static fromSystem(error: unknown, maxBytes: number): BoundedReadError {
    const code = errorCode(error);
    if (code === undefined) {
      const text = error instanceof Error ? error.message : String(error);
      return new BoundedReadError("unknown", text.split("\n")[0] ?? text, maxBytes);
    }
    return new BoundedReadError(code, describeFsError(error), maxBytes);
  }
}
