// join, resolve, dirname, basename, relative and isAbsolute without loading node:path where the
// answer is plain string work (`@kpm/deferred/path`): node:path costs ~1.5–1.9 ms to load in a
// compiled binary on Bun 1.4.5 (a module that imports it 1.7–2.0 ms, one that does not 0.2 ms), a
// tenth of `kpm get`'s JavaScript. Only POSIX paths in normal form take the string path in join,
// resolve, basename and relative: "/", or segments that are non-empty and neither "." nor "..",
// no trailing slash; dirname is node's posix.dirname ported. Anything else, and Windows, is
// node:path's (loaded then), so every answer is node:path's (test/path.test.ts holds the two
// together).
import { requireBuiltin } from "./builtin.ts";

const posix = process.platform !== "win32";

/** A relative path in normal form: segments that are not empty, "." or "..". */
function isCleanRelative(path: string): boolean {
  if (path.length === 0) return false;
  for (const segment of path.split("/")) {
    if (segment === "" || segment === "." || segment === "..") return false;
  }
  return true;
}

/**
 * An absolute path that node:path's join and resolve would return unchanged: "/" and then a clean
 * relative path ("/" itself is not: join("/", "kpm") is "/kpm", not "//kpm").
 */
export function isCleanAbsolute(path: string): boolean {
  return path.length > 1 && path[0] === "/" && isCleanRelative(path.slice(1));
}

const isClean = (path: string): boolean => (path[0] === "/" ? isCleanAbsolute(path) : isCleanRelative(path));

export function isAbsolute(path: string): boolean {
  return posix ? path.startsWith("/") : requireBuiltin("node:path").isAbsolute(path);
}

export function join(...parts: string[]): string {
  const [first, ...rest] = parts;
  if (posix && first !== undefined && rest.every(isCleanRelative)) {
    if (first === "/") return `/${rest.join("/")}`;
    if (isClean(first)) return parts.join("/");
  }
  return requireBuiltin("node:path").join(...parts);
}

export function resolve(...parts: string[]): string {
  if (posix) {
    let start = parts.length - 1;
    while (start >= 0 && !(parts[start] as string).startsWith("/")) start--;
    const base = start >= 0 ? (parts[start] as string) : process.cwd();
    const tail = parts.slice(start + 1);
    if (tail.every(isCleanRelative)) {
      if (base === "/") return `/${tail.join("/")}`;
      if (isCleanAbsolute(base)) return [base, ...tail].join("/");
    }
  }
  return requireBuiltin("node:path").resolve(...parts);
}

/** The segment separator: "/", or "\\" on Windows. */
export const sep = posix ? "/" : "\\";

export function basename(path: string): string {
  return posix && isClean(path)
    ? path.slice(path.lastIndexOf("/") + 1)
    : requireBuiltin("node:path").basename(path);
}

/** The segments of "/" (none) or of a clean absolute path; null for any other path. */
function absoluteSegments(path: string): string[] | null {
  if (path === "/") return [];
  return isCleanAbsolute(path) ? path.slice(1).split("/") : null;
}

export function relative(from: string, to: string): string {
  const fromSegments = posix ? absoluteSegments(from) : null;
  const toSegments = posix ? absoluteSegments(to) : null;
  if (fromSegments !== null && toSegments !== null) {
    let common = 0;
    while (
      common < fromSegments.length &&
      common < toSegments.length &&
      fromSegments[common] === toSegments[common]
    )
      common++;
    return [...fromSegments.slice(common).map(() => ".."), ...toSegments.slice(common)].join("/");
  }
  return requireBuiltin("node:path").relative(from, to);
}

export function dirname(path: string): string {
  return posix ? posixDirname(path) : requireBuiltin("node:path").dirname(path);
}

const SLASH = 47;

/** node:path's posix.dirname, ported as is ("" → ".", "/a" → "/", "a/b/" → "a", "//a" → "/"). */
export function posixDirname(path: string): string {
  if (path.length === 0) return ".";
  const hasRoot = path.charCodeAt(0) === SLASH;
  let end = -1;
  let matchedSlash = true;
  for (let index = path.length - 1; index >= 1; --index) {
    if (path.charCodeAt(index) === SLASH) {
      if (!matchedSlash) {
        end = index;
        break;
      }
    } else {
      // We saw the first non-path separator
      matchedSlash = false;
    }
  }
  if (end === -1) return hasRoot ? "/" : ".";
  if (hasRoot && end === 1) return "//";
  return path.slice(0, end);
}
