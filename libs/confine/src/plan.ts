// The confinement plan: Landlock only grants, so "everything except these paths" becomes full
// access beneath every entry of every ancestor of a denied path, except the entries that lead to
// a denied path, and listing only on those ancestors themselves.

import { requireBuiltin } from "@kpm/deferred";
import { dirname, join, resolve, sep } from "@kpm/deferred/path";
import type { LandlockRule } from "@kpm/libc";

/** What the planner reads of the filesystem (injected, so tests plan against a fake tree). */
export interface FileSystemView {
  /** The canonical path (symbolic links resolved), or null when nothing is there. */
  realpath(path: string): string | null;
  /** The names in a directory, or null when it cannot be listed. */
  list(directory: string): string[] | null;
}

export interface ConfinementRequest {
  /** Paths the tool must neither read nor write (directories or files; missing ones too). */
  denied: readonly string[];
  /**
   * Paths denied only when their parent is already restricted for another denied path: denying
   * one alone would take file creation away from its parent (the runtime directory in /tmp).
   */
  deniedIfFree?: readonly string[];
}

export interface ConfinementPlan {
  rules: LandlockRule[];
  /** The canonical denied paths, sorted. */
  denied: string[];
  /** deniedIfFree paths left reachable, sorted. */
  exposed: string[];
}

/** `path` with symbolic links resolved as far as it exists; missing components appended as given. */
export function canonicalPath(path: string, fs: FileSystemView): string {
  const absolute = resolve(path);
  const real = fs.realpath(absolute);
  if (real !== null) return real;
  const parent = dirname(absolute);
  if (parent === absolute) return absolute;
  return join(canonicalPath(parent, fs), absolute.slice(parent.length + (parent.endsWith(sep) ? 0 : 1)));
}

const isWithin = (path: string, ancestor: string): boolean =>
  path === ancestor || path.startsWith(ancestor === sep ? sep : `${ancestor}${sep}`);

/** The strict ancestors of `path`, from the root down. */
function ancestorsOf(path: string): string[] {
  const ancestors: string[] = [];
  for (let current = dirname(path); ; current = dirname(current)) {
    ancestors.unshift(current);
    if (dirname(current) === current) return ancestors;
  }
}

/** Drops paths beneath another one of the list (denying the outer one covers them). */
function outermost(paths: string[]): string[] {
  const unique = [...new Set(paths)].sort();
  return unique.filter((path) => !unique.some((other) => other !== path && isWithin(path, other)));
}

export function planConfinement(request: ConfinementRequest, fs: FileSystemView): ConfinementPlan {
  let denied = outermost(request.denied.map((path) => canonicalPath(path, fs)));
  const restricted = () => new Set(denied.flatMap(ancestorsOf));
  const exposed: string[] = [];
  const before = restricted();
  for (const path of (request.deniedIfFree ?? []).map((item) => canonicalPath(item, fs))) {
    if (denied.some((outer) => isWithin(path, outer))) continue;
    if (before.has(dirname(path))) denied.push(path);
    else exposed.push(path);
  }
  denied = outermost(denied);
  const ancestors = restricted();

  const rules: LandlockRule[] = [];
  const granted = new Set<string>();
  for (const ancestor of [...ancestors].sort()) {
    rules.push({ path: ancestor, access: "list" });
    for (const name of fs.list(ancestor) ?? []) {
      const entry = join(ancestor, name);
      if (ancestors.has(entry) || denied.includes(entry)) continue;
      // A symbolic link is granted as its target: never one that reaches a denied path or an
      // ancestor of one (that would grant the denied path itself).
      const target = fs.realpath(entry);
      if (target === null || ancestors.has(target) || denied.some((path) => isWithin(target, path))) continue;
      if (granted.has(target)) continue;
      granted.add(target);
      rules.push({ path: target, access: "full" });
    }
  }
  return { rules, denied, exposed: [...new Set(exposed)].sort() };
}

/** The real filesystem, through node:fs. */
export function nodeFileSystem(): FileSystemView {
  const { readdirSync, realpathSync } = requireBuiltin("node:fs");
  return {
    realpath(path) {
      try {
        return realpathSync(path);
      } catch {
        return null;
      }
    },
    list(directory) {
      try {
        return readdirSync(directory);
      } catch {
        return null;
      }
    },
  };
}
