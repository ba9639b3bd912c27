// Where the allow-list lives (§9.1.1): a project file, then the user's; the first regular file
// wins. When the project's wins, the user's still bounds it (boundingAllowlist, layered.ts).

import { statSync } from "node:fs";
import { join, resolve } from "node:path";
import { findProjectDir } from "@kpm/template/project-dir";
import { AllowlistError } from "./allowlist-error.ts";

export const ALLOWLIST_FILE_NAME = "secure-allowlist.yaml";

export interface AllowlistLookup {
  /**
   * $KPM_PROJECT_DIR, used as given; unset or empty means the project found from cwd
   * (findProjectDir: the nearest `.kpm` up to the repository root, else cwd).
   */
  projectDir?: string | undefined;
  cwd: string;
  configDir: string;
}

export function allowlistCandidates(opts: AllowlistLookup): [string, string] {
  const projectRoot = opts.projectDir
    ? resolve(opts.cwd, opts.projectDir)
    : findProjectDir(resolve(opts.cwd));
  return [join(projectRoot, ".kpm", ALLOWLIST_FILE_NAME), join(opts.configDir, ALLOWLIST_FILE_NAME)];
}

function isRegularFile(path: string): boolean {
  try {
    return statSync(path).isFile();
  } catch {
    // Missing, unreadable parent or ENOTDIR: the candidate does not exist for our purposes.
    return false;
  }
}

export function findAllowlist(opts: AllowlistLookup): string {
  const [project, user] = allowlistCandidates(opts);
  if (isRegularFile(project)) return project;
  if (isRegularFile(user)) return user;
  throw new AllowlistError("not_found", `kpm: --secure requires an allow-list; create ${project} or ${user}`);
}

/** The user's own list, when `chosen` is the project's and the user has one: it bounds the project's. */
export function boundingAllowlist(opts: AllowlistLookup, chosen: string): string | null {
  const [, user] = allowlistCandidates(opts);
  return chosen !== user && isRegularFile(user) ? user : null;
}
