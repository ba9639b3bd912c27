// Profile discovery and merge (spec §5.6): every `.kpm/config.yaml` from the current
// directory up to the root, over the global config file's `profile:` mapping.

import { readFileSync, realpathSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import type * as Yaml from "yaml";
import { TemplateError } from "./error.ts";
import { describeFsError, errorCode } from "./fs-reason.ts";
import type { ProfileValues } from "./profile-expand.ts";

export interface LoadProfilesOptions {
  cwd: string;
  /** `--config` or `<ConfigDir>/config.yaml`; a missing file contributes nothing. */
  globalConfigPath: string;
}

export interface LoadedProfiles {
  values: ProfileValues;
  /** Complete stderr lines: `kpm: warning: ignoring profile in <path>: <detail>`. */
  warnings: string[];
}

/** Why a file's profile cannot be used; the caller decides whether that is a warning or fatal. */
class ProfileProblem {
  constructor(readonly detail: string) {}
}

export function loadProfiles(opts: LoadProfilesOptions): LoadedProfiles {
  const warnings: string[] = [];
  const seen = new Set<string>();
  // Deepest first; merged in reverse so the deepest directory wins.
  const layers: { path: string; values: Map<string, string> }[] = [];

  for (const path of walkUpConfigPaths(resolve(opts.cwd))) {
    if (!markSeen(seen, path)) continue;
    const result = readProfile(path);
    if (result instanceof ProfileProblem)
      warnings.push(`kpm: warning: ignoring profile in ${path}: ${result.detail}`);
    else if (result !== null) layers.push({ path, values: result });
  }

  const globalPath = resolve(opts.cwd, opts.globalConfigPath);
  if (markSeen(seen, globalPath)) {
    const result = readProfile(globalPath);
    if (result instanceof ProfileProblem) {
      throw new TemplateError("config", `parse config ${globalPath}: ${result.detail}`);
    }
    if (result !== null) layers.push({ path: globalPath, values: result });
  }

  const values: ProfileValues = new Map();
  for (const layer of layers.reverse()) {
    for (const [key, value] of layer.values) values.set(key, { value, source: layer.path });
  }
  return { values, warnings };
}

function* walkUpConfigPaths(start: string): Generator<string> {
  let dir = start;
  for (;;) {
    yield join(dir, ".kpm", "config.yaml");
    const parent = dirname(dir);
    if (parent === dir) return;
    dir = parent;
  }
}

/** False when the file's real path was already taken (two symlinked dirs, or walk = global). */
function markSeen(seen: Set<string>, path: string): boolean {
  let key: string;
  try {
    key = realpathSync(path);
  } catch {
    key = path;
  }
  if (seen.has(key)) return false;
  seen.add(key);
  return true;
}

/** null = no file or no profile; a Map of YAML texts; or the problem that disqualifies the file. */
function readProfile(path: string): Map<string, string> | ProfileProblem | null {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (error) {
    const code = errorCode(error);
    if (code === "ENOENT" || code === "ENOTDIR") return null;
    return new ProfileProblem(describeFsError(error));
  }
  return parseProfile(text);
}

/**
 * Works on YAML nodes rather than a zod-validated object because the spec wants each
 * scalar's YAML text (`1.0` stays "1.0", `0x1F` stays "0x1F"), which plain JS values lose.
 */
export function parseProfile(text: string): Map<string, string> | ProfileProblem | null {
  // Loaded on first use: importing `yaml` costs ~20 ms, which commands without profiles skip.
  const { isMap, isScalar, parseDocument } = require("yaml") as typeof Yaml;
  const document = parseDocument(text);
  const [firstError] = document.errors;
  if (firstError !== undefined) return new ProfileProblem(firstLine(firstError.message));
  const root = document.contents;
  if (root === null || (isScalar(root) && root.value === null)) return null;
  if (!isMap(root)) return new ProfileProblem("not a YAML mapping");
  const profile = root.get("profile", true);
  if (profile === undefined || (isScalar(profile) && profile.value === null)) return null;
  if (!isMap(profile)) return new ProfileProblem("profile is not a mapping");

  const values = new Map<string, string>();
  for (const item of profile.items) {
    const key = isScalar(item.key) ? String(item.key.value) : null;
    if (key === null) return new ProfileProblem("profile has a key that is not a scalar");
    if (item.value !== null && !isScalar(item.value)) {
      return new ProfileProblem(`profile value "${key}" is not a scalar`);
    }
    const value = item.value === null ? null : scalarText(item.value);
    if (value !== null) values.set(key, value);
  }
  return values;
}

function scalarText(node: { value: unknown; source?: string }): string | null {
  if (node.value === null || node.value === undefined) return null;
  if (typeof node.value === "string") return node.value;
  return node.source ?? String(node.value);
}

function firstLine(message: string): string {
  const line = message.split("\n", 1)[0] ?? message;
  return line.endsWith(":") ? line.slice(0, -1) : line;
}
