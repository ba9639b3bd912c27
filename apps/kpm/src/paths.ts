// Directory resolution (spec §4.1): <ConfigDir>, <DataDir>, <TemplatesDir>, certs, and `~` expansion.
// Imported on demand (KpmContext.prepare, usage): env-scan `kpm run` needs none of it. The stat
// calls go through libc (@kpm/libc): node:fs costs ~3 ms to load in a compiled binary.

import { requireBuiltin } from "@kpm/deferred";
import { isAbsolute, join, resolve } from "@kpm/deferred/path";
import { isDirectory as isDirectoryStatus, isRegularFile, statIfPresent } from "@kpm/libc";
import { CliError } from "./cli/errors.ts";

export type Env = Record<string, string | undefined>;

export interface Dirs {
  configDir: string;
  dataDir: string;
  templatesDir: string;
  certsDir: string;
  home: string;
}

function isDirectory(path: string): boolean {
  const status = statIfPresent(path);
  return status !== null && isDirectoryStatus(status);
}

function exists(path: string): boolean {
  return statIfPresent(path) !== null;
}

/** $HOME, else the passwd entry (node:os is loaded only then: loading it costs ~0.2 ms of startup). */
export function homeDir(env: Env): string {
  if (env.HOME && env.HOME.length > 0) return env.HOME;
  return requireBuiltin("node:os").homedir();
}

function xdgBase(env: Env, variable: string, fallback: string): string {
  const value = env[variable];
  return value && isAbsolute(value) ? join(value, "kpm") : fallback;
}

export function resolveConfigDir(env: Env, home: string): string {
  const override = env.KPM_CONFIG;
  if (override) {
    const status = statIfPresent(override);
    if (status !== null && isRegularFile(status)) {
      throw new CliError(
        `error: KPM_CONFIG must name a directory (got file ${override}); use --config for a file`,
      );
    }
    return override;
  }
  const xdg = xdgBase(env, "XDG_CONFIG_HOME", join(home, ".config", "kpm"));
  if (isDirectory(xdg)) return xdg;
  const legacy = join(home, ".kpm");
  if (exists(join(legacy, "config.yaml"))) return legacy;
  return xdg;
}

export function resolveDataDir(env: Env, home: string): string {
  if (env.KPM_DATA) return env.KPM_DATA;
  const xdg = xdgBase(env, "XDG_DATA_HOME", join(home, ".local", "share", "kpm"));
  if (isDirectory(xdg)) return xdg;
  const legacy = join(home, ".kpm");
  if (isDirectory(join(legacy, "certs"))) return legacy;
  return xdg;
}

export function resolveDirs(env: Env): Dirs {
  const home = homeDir(env);
  const configDir = resolveConfigDir(env, home);
  const dataDir = resolveDataDir(env, home);
  return {
    configDir,
    dataDir,
    templatesDir: join(configDir, "templates"),
    certsDir: join(dataDir, "certs"),
    home,
  };
}

/** `~` and `~/…` expand to $HOME (`~user` does not); relative paths resolve against `base`. */
export function expandPath(path: string, home: string, base: string): string {
  if (path === "~") return home;
  if (path.startsWith("~/")) return join(home, path.slice(2));
  return resolve(base, path);
}
