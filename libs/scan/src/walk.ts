// Which files a scan reads: in a git work tree, what git would track (`git ls-files -co
// --exclude-standard`, so .gitignore is honoured exactly as git does); elsewhere, or with
// noIgnore, every regular file under the path (skipping .git).
import { readdirSync, statSync } from "node:fs";
import { join, relative } from "node:path";

export interface WalkOptions {
  noIgnore?: boolean;
}

export function listFiles(root: string, options: WalkOptions = {}): string[] {
  const stat = statSync(root);
  if (stat.isFile()) return [root];
  if (!options.noIgnore) {
    const tracked = gitListFiles(root);
    if (tracked !== null) return tracked;
  }
  const files: string[] = [];
  walk(root, files);
  return files;
}

function gitListFiles(root: string): string[] | null {
  const result = Bun.spawnSync(["git", "ls-files", "-z", "-co", "--exclude-standard", "--", "."], {
    cwd: root,
    stdout: "pipe",
    stderr: "ignore",
  });
  if (result.exitCode !== 0) return null;
  const listed = result.stdout
    .toString()
    .split("\0")
    .filter((name) => name.length > 0);
  return listed.map((name) => join(root, name)).filter(isRegularFile);
}

function isRegularFile(path: string): boolean {
  try {
    return statSync(path).isFile();
  } catch {
    return false; // deleted in the work tree but still in the index
  }
}

function walk(directory: string, files: string[]): void {
  for (const entry of readdirSync(directory, { withFileTypes: true })) {
    const path = join(directory, entry.name);
    if (entry.isDirectory()) {
      if (entry.name !== ".git") walk(path, files);
    } else if (entry.isFile()) files.push(path);
  }
}

/** A path for display: relative to the working directory when it lies below it. */
export function displayPath(path: string, cwd: string): string {
  const shown = relative(cwd, path);
  return shown.startsWith("..") || shown === "" ? path : shown;
}
