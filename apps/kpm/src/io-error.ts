// The short reason for a failed file operation, worded like Go's (spec §3.7): shared by config
// loading, init, add --from-file, config push/pull and the --secure audit log.

function firstLine(text: string): string {
  return text.split("\n")[0] ?? text;
}

export function describeIoError(error: unknown): string {
  const code = (error as NodeJS.ErrnoException).code;
  switch (code) {
    case "ENOENT":
      return "no such file or directory";
    case "EACCES":
      return "permission denied";
    case "EISDIR":
      return "is a directory";
    case "ENOTDIR":
      return "not a directory";
    default:
      return code ? code.toLowerCase() : firstLine(String((error as Error).message ?? error));
  }
}
