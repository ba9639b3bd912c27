// The one error of a bounded read: a stable `code` callers branch on, and a short lower-case
// `message` worded like Go's kpm ("no such file or directory", "file too large (max 1 MiB)")
// that callers put after their own "read cert <path>: ". Also the one wording of every other
// filesystem or socket error kpm prints (describeFsError), reached alone as
// `@kpm/bounded-read/error` so that callers do not load the readers.

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
  EEXIST: "file exists",
  EINVAL: "invalid argument",
  ENOSPC: "no space left on device",
  EROFS: "read-only file system",
  // Sockets (the session listener and its clients).
  ECONNREFUSED: "connection refused",
  ECONNRESET: "connection reset by peer",
  EPIPE: "broken pipe",
  ENOTSOCK: "socket operation on non-socket",
  EADDRINUSE: "address already in use",
  EADDRNOTAVAIL: "cannot assign requested address",
  ETIMEDOUT: "connection timed out",
};

/** The errno name of a node:fs (or any system) error, if it has one. */
export function errorCode(error: unknown): string | undefined {
  if (typeof error === "object" && error !== null && "code" in error && typeof error.code === "string") {
    return error.code;
  }
  return undefined;
}

/**
 * The one wording of a filesystem (or socket) error kpm prints: the short lower-case reason users
 * know from Go's kpm ("no such file or directory"), never a stack. Without an errno: an Error's
 * first line, else "unknown error".
 */
export function describeFsError(error: unknown): string {
  // The reader's own errors are worded already ("file too large (max 1 MiB)").
  if (error instanceof BoundedReadError) return error.message;
  const code = errorCode(error);
  if (code !== undefined) return errnoReasons[code] ?? code.toLowerCase();
  if (error instanceof Error) return error.message.split("\n")[0] || "unknown error";
  return "unknown error";
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
    if (code === undefined && !(error instanceof Error)) {
      const text = String(error);
      return new BoundedReadError("unknown", text.split("\n")[0] ?? text, maxBytes);
    }
    return new BoundedReadError(code ?? "unknown", describeFsError(error), maxBytes);
  }
}
