// Include directives (spec §5.4): path rules and the project-then-user lookup.

import { statSync } from "node:fs";
import { join } from "node:path";

export const maxIncludeDepth = 16;

const controlCharacter = /[\u0000-\u001f\u007f]/;

/** Relative, no empty/./.. segments, no backslash (control characters would break file APIs). */
export function isValidIncludePath(path: string): boolean {
  if (path.includes("\\") || controlCharacter.test(path)) return false;
  return path.split("/").every((segment) => segment !== "" && segment !== "." && segment !== "..");
}

export function withTemplateSuffix(path: string): string {
  return path.endsWith(".template") ? path : `${path}.template`;
}

/** The first regular file (symlinks followed) at `<dir>/<logical>`, in the given order. */
export function findIncludeTarget(logical: string, dirs: readonly string[]): string | null {
  for (const dir of dirs) {
    const candidate = join(dir, logical);
    if (isRegularFile(candidate)) return candidate;
  }
  return null;
}

export function isRegularFile(path: string): boolean {
  try {
    return statSync(path).isFile();
  } catch {
    // Missing, a dangling link or an unreadable parent: not a usable file here.
    return false;
  }
}
