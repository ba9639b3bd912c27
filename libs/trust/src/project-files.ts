// What `kpm trust <dir>` covers: every file a project brings under `<dir>/.kpm/` that kpm may
// read — templates at any depth (discovery, includes, `--from NAME`), the allow-list and the
// profile file.

import { describeFsError, errorCode } from "@kpm/bounded-read/error";
import { requireBuiltin } from "@kpm/deferred";
import { join, resolve } from "@kpm/deferred/path";

/** Deep enough for any include path (16 levels) with room to spare; also stops link loops. */
const MAX_DEPTH = 32;

export interface ProjectFiles {
  /** Absolute paths as found (links not resolved), sorted. */
  files: string[];
  /** Directories that could not be listed: `<dir>: <code>`. */
  problems: string[];
}

export function projectFiles(dir: string): ProjectFiles {
  const kpmDir = join(resolve(dir), ".kpm");
  const result: ProjectFiles = { files: [], problems: [] };
  for (const name of ["config.yaml", "secure-allowlist.yaml"]) {
    const path = join(kpmDir, name);
    if (isRegularFile(path)) result.files.push(path);
  }
  walk(join(kpmDir, "templates"), 0, new Set(), result);
  result.files.sort();
  return result;
}

function walk(dir: string, depth: number, seen: Set<string>, result: ProjectFiles): void {
  const fs = requireBuiltin("node:fs");
  let real: string;
  try {
    real = fs.realpathSync(dir);
  } catch {
    return;
  }
  if (seen.has(real) || depth > MAX_DEPTH) return;
  seen.add(real);
  let names: string[];
  try {
    names = fs.readdirSync(dir);
  } catch (error) {
    const code = errorCode(error);
    if (code !== "ENOENT" && code !== "ENOTDIR") result.problems.push(`${dir}: ${describeFsError(error)}`);
    return;
  }
  for (const name of names) {
    const path = join(dir, name);
    let stat: ReturnType<typeof fs.statSync>;
    try {
      // Links followed: the loaders follow them too, so the content they would read is what is hashed.
      stat = fs.statSync(path);
    } catch {
      continue;
    }
    if (stat.isDirectory()) walk(path, depth + 1, seen, result);
    else if (stat.isFile()) result.files.push(path);
  }
}

function isRegularFile(path: string): boolean {
  try {
    return requireBuiltin("node:fs").statSync(path).isFile();
  } catch {
    return false;
  }
}
