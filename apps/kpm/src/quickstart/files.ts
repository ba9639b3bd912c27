// File writes for quickstart (spec §4.4, §14 step 5, §18.29): create only what is absent unless
// --force, with modes set explicitly regardless of the umask.
import { chmodSync, lstatSync, mkdirSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { basename, dirname, join } from "node:path";
import { readFileBounded } from "@kpm/bounded-read";

/** Creates `path` (and missing parents) with `mode`; an existing directory keeps its mode. */
export function ensureDir(path: string, mode: number): void {
  if (isPresent(path)) return;
  ensureDir(dirname(path), mode);
  try {
    mkdirSync(path, { mode });
  } catch (error) {
    // Another process created it between the check and mkdir: that is what we wanted.
    if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
    return;
  }
  chmodSync(path, mode);
}

/** Whether anything (file, directory, dangling symlink) occupies `path`. */
export function isPresent(path: string): boolean {
  try {
    lstatSync(path);
    return true;
  } catch {
    return false;
  }
}

/**
 * Writes `content` to `path` with `mode` unless something is already there and `force` is off.
 * With `force` the replacement is atomic (temporary file + rename), so a crash never leaves half
 * a config or key. Returns what happened.
 */
export function writeUnlessPresent(
  path: string,
  content: string | Uint8Array,
  mode: number,
  force: boolean,
): "written" | "kept" {
  if (!force) {
    try {
      writeFileSync(path, content, { mode, flag: "wx" });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === "EEXIST") return "kept";
      throw error;
    }
    chmodSync(path, mode);
    return "written";
  }
  const temporary = join(dirname(path), `.${basename(path)}.${process.pid}.tmp`);
  try {
    writeFileSync(temporary, content, { mode, flag: "wx" });
    chmodSync(temporary, mode);
    renameSync(temporary, path);
  } catch (error) {
    rmSync(temporary, { force: true });
    throw error;
  }
  return "written";
}

/** Whether the file at `path` holds exactly `expected` (false when unreadable or longer). */
export function sameContent(path: string, expected: Uint8Array): boolean {
  let actual: Uint8Array;
  try {
    actual = readFileBounded(path, expected.length);
  } catch {
    return false;
  }
  // Views, not copies: for client.key these are key bytes.
  const view = (bytes: Uint8Array) => Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length);
  const same = view(actual).equals(view(expected));
  actual.fill(0);
  return same;
}
