// lstat-based existence: a dangling symlink or a dead socket still "exists", so kpm never
// reuses or blindly replaces such a path.
import { lstat } from "@kpm/libc";

export function pathExists(path: string): boolean {
  try {
    lstat(path);
    return true;
  } catch {
    return false;
  }
}
