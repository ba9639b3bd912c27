// Profile discovery and merge (spec §5.6) with every file read by the YAML parser.

import type * as Yaml from "yaml";
import {
  type LoadedProfiles,
  type LoadProfilesOptions,
  mergeProfiles,
  ProfileProblem,
} from "./profile-layers.ts";

export type { LoadedProfiles, LoadProfilesOptions } from "./profile-layers.ts";

export function loadProfiles(opts: LoadProfilesOptions): LoadedProfiles {
  return mergeProfiles(opts, parseProfile);
}

/**
 * Works on YAML nodes rather than a zod-validated object because the spec wants each
 * scalar's YAML text (`1.0` stays "1.0", `0x1F` stays "0x1F"), which plain JS values lose.
 */
export function parseProfile(text: string): Map<string, string> | ProfileProblem | null {
  // Loaded on first use: importing `yaml` costs ~20 ms, which commands without profiles skip. A
  // bundled package, so a literal require() the bundler sees (@kpm/deferred is for built-ins).
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
