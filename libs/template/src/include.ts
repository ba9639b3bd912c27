// Include directives (spec §5.4): path rules, the project-then-user lookup, and the rule that a
// target stays inside the directory it was found in.

import { join } from "@kpm/deferred/path";
import { isRegularFile as isRegularStatus, realPathIfPresent, statIfPresent } from "@kpm/libc";
import { firstBadSegment } from "@kpm/path-rules";

export const maxIncludeDepth = 16;

/** Relative, no empty/./.. segments, no backslash (control characters would break file APIs). */
export function isValidIncludePath(path: string): boolean {
  return !path.includes("\\") && firstBadSegment(path) === null;
}

export function withTemplateSuffix(path: string): string {
  return path.endsWith(".template") ? path : `${path}.template`;
}

export interface IncludeTarget {
  /** `<dir>/<logical>`, not resolved through symlinks. */
  path: string;
  /** The templates directory the target was found in. */
  dir: string;
}

/** The first regular file (symlinks followed) at `<dir>/<logical>`, in the given order. */
export function findIncludeTarget(logical: string, dirs: readonly string[]): IncludeTarget | null {
  for (const dir of dirs) {
    const candidate = join(dir, logical);
    if (isRegularFile(candidate)) return { path: candidate, dir };
  }
  return null;
}

/**
 * Whether `realPath` (already resolved through every symlink) lies below the real path of
 * `dir`. A symlinked templates directory is fine; a link from inside it to anywhere else
 * (`~/.ssh/id_rsa`, `../..`) is not, because an include must not read files the templates
 * directory does not hold. An unresolvable `dir` contains nothing.
 */
export function isInsideDirectory(realPath: string, dir: string): boolean {
  const realDir = realPathIfPresent(dir);
  if (realDir === null) return false;
  return realPath.startsWith(realDir.endsWith("/") ? realDir : `${realDir}/`);
}

export function isRegularFile(path: string): boolean {
  // null: missing, a dangling link or an unreadable parent — not a usable file here.
  const status = statIfPresent(path);
  return status !== null && isRegularStatus(status);
}
