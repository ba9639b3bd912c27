// Turns a Node filesystem error into the short lower-case reason kpm prints
// ("no such file or directory"), the wording users know from Go's kpm, never a stack.

const reasons: Record<string, string> = {
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
};

export function errorCode(error: unknown): string | undefined {
  if (typeof error === "object" && error !== null && "code" in error && typeof error.code === "string") {
    return error.code;
  }
  return undefined;
}

export function describeFsError(error: unknown): string {
  const code = errorCode(error);
  if (code === undefined) return "unknown error";
  return reasons[code] ?? code.toLowerCase();
}
