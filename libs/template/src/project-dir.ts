// The project directory (docs/templates.md "Discovery"): where a project's `.kpm/` lives for the
// current directory. Every place that decides it (discovery, includes, `--from NAME`, tree, the
// allow-list, trust) calls findProjectDir. No node:fs/node:path: env-scan `kpm run` calls it on
// its hot path, through @kpm/libc's lstat (libc, bound on first use).
import { isDirectory, isSymbolicLink, lstatIfPresent } from "@kpm/libc";

/**
 * The nearest directory from `cwd` upwards (cwd included) that has a `.kpm` directory, walking no
 * higher than the repository root (the first directory with a `.git` entry, itself included).
 * Outside a repository, and when the walk finds no `.kpm`, it is `cwd`: walking on to `/` would
 * meet `~/.kpm`, the legacy config dir, and make the home directory everyone's project.
 *
 * `cwd` must be absolute and normalised (process.cwd(), path.resolve). A `.kpm` that is a symlink
 * counts (lstat does not follow it; what it points at is judged when its files are read).
 */
export function findProjectDir(cwd: string): string {
  let nearest: string | null = null;
  for (let dir = cwd; ; ) {
    if (nearest === null && hasKpmDir(dir)) nearest = dir;
    if (nearest === dir && dir === cwd) return cwd;
    if (lstatIfPresent(childPath(dir, ".git")) !== null) return nearest ?? cwd;
    const parent = parentPath(dir);
    if (parent === dir) return cwd;
    dir = parent;
  }
}

/** `<findProjectDir(cwd)>/.kpm/templates`: project templates, includes and the `--from NAME` fallback. */
export function projectTemplatesDir(cwd: string): string {
  return childPath(childPath(findProjectDir(cwd), ".kpm"), "templates");
}

function hasKpmDir(dir: string): boolean {
  const status = lstatIfPresent(childPath(dir, ".kpm"));
  return status !== null && (isDirectory(status) || isSymbolicLink(status));
}

const windows = process.platform === "win32";

/** `dir` joined with one name; `dir` may be a root (`/`, `C:\`). */
export function childPath(dir: string, name: string): string {
  return isSeparator(dir.at(-1)) ? `${dir}${name}` : `${dir}${windows ? "\\" : "/"}${name}`;
}

/** The parent of an absolute, normalised path; a root is its own parent. */
function parentPath(dir: string): string {
  let cut = dir.length - 1;
  while (cut >= 0 && !isSeparator(dir[cut])) cut--;
  if (cut < 0) return dir;
  // Keep the separator of a root: "/a" → "/", "C:\a" → "C:\".
  const atRoot = cut === 0 || (windows && dir[cut - 1] === ":");
  return atRoot ? dir.slice(0, cut + 1) : dir.slice(0, cut);
}

function isSeparator(char: string | undefined): boolean {
  return char === "/" || (windows && char === "\\");
}
