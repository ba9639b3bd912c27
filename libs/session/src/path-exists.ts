// lstat-based existence: a dangling symlink or a dead socket still "exists", so kpm never
// reuses or blindly replaces such a path.
import { lstatSync } from "node:fs";

export function pathExists(path: string): boolean {
  try {
    lstatSync(path);
    return true;
  } catch {
    return false;
  }
}
