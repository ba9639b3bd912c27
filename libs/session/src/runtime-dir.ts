// <RuntimeDir> (spec §4.1, §7.3): where sockets, session records and debug logs live.
// It must stay private to the user, so it is verified with lstat on every use.
import { describeFsError, errorCode } from "@kpm/bounded-read/error";
import { requireBuiltin } from "@kpm/deferred";
import { isDirectory, isSymbolicLink, type LinkStatus, lstat } from "@kpm/libc";
import { SessionError } from "./error.ts";

export function resolveRuntimeDir(env: Record<string, string | undefined>, uid: number): string {
  const xdg = env.XDG_RUNTIME_DIR;
  if (xdg && isCleanAbsolute(xdg)) return `${xdg}/kpm`;
  const temp = env.TMPDIR;
  if (!xdg?.startsWith("/") && temp && isCleanAbsolute(temp)) return `${temp}/kpm-${uid}`;
  // node:path only for a path it must normalise or resolve: loading it costs ~0.4 ms, a tenth of
  // the warm-agent `kpm get` after Bun's own start.
  const { isAbsolute, join, resolve } = requireBuiltin("node:path");
  if (xdg && isAbsolute(xdg)) return join(xdg, "kpm");
  // Absolute even for a relative TMPDIR: the listener runs with another working directory.
  // node:os only without TMPDIR: loading it costs ~0.4 ms of every `kpm run`.
  return resolve(temp || requireBuiltin("node:os").tmpdir(), `kpm-${uid}`);
}

/**
 * An absolute path that node:path's join and resolve would return unchanged: no empty, "." or ".."
 * segment and no trailing slash ("/" itself excepted: join("/", "kpm") is "/kpm", not "//kpm").
 */
export function isCleanAbsolute(path: string): boolean {
  if (path.length < 2 || path[0] !== "/" || path.endsWith("/")) return false;
  for (const segment of path.slice(1).split("/")) {
    if (segment === "" || segment === "." || segment === "..") return false;
  }
  return true;
}

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
