// The walk and merge of profile discovery (spec §5.6): every `.kpm/config.yaml` from the current
// directory up to the root, over the global config file's `profile:` mapping. Parsing a file is
// the caller's: YAML for loadProfiles, a flat-file check first for loadProfilesAsync.

import { BoundedReadError, MAX_CONFIG_BYTES, type ReadFileOptions, readFileBounded } from "@kpm/bounded-read";
import { dirname, join, resolve } from "@kpm/deferred/path";
import { realPathIfPresent } from "@kpm/libc";
import { TemplateError } from "./error.ts";
import type { ProfileValues } from "./profile-expand.ts";

export interface LoadProfilesOptions {
  cwd: string;
  /** `--config` or `<ConfigDir>/config.yaml`; a missing file contributes nothing. */
  globalConfigPath: string;
  /**
   * Project trust for the `.kpm/config.yaml` files of the walk (never the global config), asked
   * with the exact bytes that would be parsed; a refused file contributes nothing.
   */
  trust?: (file: string, bytes: Uint8Array) => boolean;
}

export interface LoadedProfiles {
  values: ProfileValues;
  /** Complete stderr lines: `kpm: warning: ignoring profile in <path>: <detail>`. */
  warnings: string[];
}

/** Why a file's profile cannot be used; the caller decides whether that is a warning or fatal. */
export class ProfileProblem {
  constructor(readonly detail: string) {}
}

/** A file's profile: null = none, a Map of scalar texts, or why the file cannot be used. */
export type ProfileParser = (text: string) => Map<string, string> | ProfileProblem | null;

export function mergeProfiles(opts: LoadProfilesOptions, parse: ProfileParser): LoadedProfiles {
  const warnings: string[] = [];
  const seen = new Set<string>();
  // Deepest first; merged in reverse so the deepest directory wins.
  const layers: { path: string; values: Map<string, string> }[] = [];

  for (const path of walkUpConfigPaths(resolve(opts.cwd))) {
    if (!markSeen(seen, path)) continue;
    // Regular files only: an ancestor directory may belong to someone else, and a FIFO there
    // would block the open forever.
    const result = readProfile(path, parse, { regularOnly: true }, opts.trust);
    if (result instanceof ProfileProblem)
      warnings.push(`kpm: warning: ignoring profile in ${path}: ${result.detail}`);
    else if (result !== null) layers.push({ path, values: result });
  }

  const globalPath = resolve(opts.cwd, opts.globalConfigPath);
  if (markSeen(seen, globalPath)) {
    const result = readProfile(globalPath, parse, {});
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
  const key = realPathIfPresent(path) ?? path;
  if (seen.has(key)) return false;
  seen.add(key);
  return true;
}

/** Like readFileSync(path, "utf8"): invalid bytes become U+FFFD and a BOM is kept for the parser. */
const utf8 = new TextDecoder("utf-8", { ignoreBOM: true });

/** null = no file or no profile; a Map of YAML texts; or the problem that disqualifies the file. */
function readProfile(
  path: string,
  parse: ProfileParser,
  options: ReadFileOptions,
  trust?: (file: string, bytes: Uint8Array) => boolean,
): Map<string, string> | ProfileProblem | null {
  let bytes: Uint8Array;
  try {
    // Capped: every directory up to / is read, and one `.kpm/config.yaml` there may be /dev/zero.
    bytes = readFileBounded(path, MAX_CONFIG_BYTES, options);
  } catch (error) {
    const code = error instanceof BoundedReadError ? error.code : undefined;
    if (code === "ENOENT" || code === "ENOTDIR") return null;
    return new ProfileProblem((error as Error).message);
  }
  if (trust !== undefined && !trust(path, bytes)) return null;
  return parse(utf8.decode(bytes));
}
