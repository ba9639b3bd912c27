// <RuntimeDir> (spec §4.1, §7.3): where sockets, session records and debug logs live.
// It must stay private to the user, so it is verified with lstat on every use.
import { describeFsError, errorCode } from "@kpm/bounded-read/error";
import { requireBuiltin } from "@kpm/deferred";
import { isDirectory, isSymbolicLink, type LinkStatus, lstat } from "@kpm/libc";
import { SessionError } from "./error.ts";

export { resolveRuntimeDir } from "./runtime-dir-path.ts";

/** Creates the directory (0700) when missing — never its parent — then verifies it. */
export function ensureRuntimeDir(dir: string): void {
  // node:fs only here (kpm env, the listener): the checks below need only lstat.
  const { chmodSync, mkdirSync } = requireBuiltin("node:fs");
  try {
    // Not recursive: XDG_RUNTIME_DIR belongs to the login system and TMPDIR to the OS.
    mkdirSync(dir, { mode: 0o700 });
    // The umask may have removed owner bits; the spec wants exactly 0700.
    chmodSync(dir, 0o700);
  } catch (error) {
    if (!isAlreadyExists(error)) {
      throw new SessionError(
        "runtime_dir_create",
        `create runtime directory ${dir}: ${describeFsError(error)}`,
      );
    }
  }
  checkRuntimeDir(dir);
}

export function checkRuntimeDir(dir: string): void {
  const reason = privateDirectoryProblem(dir);
  if (reason !== null) {
    throw new SessionError("runtime_dir", `refusing to use runtime directory ${dir}: ${reason}`);
  }
}

/** Why `dir` is not a private directory of the current user (spec §7.3 reasons), or null. */
export function privateDirectoryProblem(dir: string): string | null {
  let stats: LinkStatus;
  try {
    stats = lstat(dir);
  } catch (error) {
    if (errorCode(error) === "ENOENT") return "it does not exist";
    return `it cannot be inspected: ${describeFsError(error)}`;
  }
  if (isSymbolicLink(stats)) return "it is a symbolic link";
  if (!isDirectory(stats)) return "it is not a directory";
  const uid = currentUid();
  if (stats.uid !== uid) return `it is owned by uid ${stats.uid}, not ${uid}`;
  if ((stats.mode & 0o077) !== 0) {
    return `its mode ${formatMode(stats.mode)} allows access by group or others (fix: chmod 700 ${dir})`;
  }
  return null;
}

export function currentUid(): number {
  return process.getuid?.() ?? 0;
}

function formatMode(mode: number): string {
  return (mode & 0o7777).toString(8).padStart(4, "0");
}

function isAlreadyExists(error: unknown): boolean {
  return errorCode(error) === "EEXIST";
}
