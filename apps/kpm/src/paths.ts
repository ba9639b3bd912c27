// Directory resolution (spec §4.1): <ConfigDir>, <DataDir>, <TemplatesDir>, certs, and `~` expansion.
// Imported on demand (KpmContext.prepare, usage): node:fs and node:path cost ~2 ms to load, and
// env-scan `kpm run` needs neither.
import { statSync } from "node:fs";
import { isAbsolute, join, resolve } from "node:path";
import { requireBuiltin } from "@kpm/deferred";
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
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}

function exists(path: string): boolean {
  try {
    statSync(path);
    return true;
  } catch {
    return false;
  }
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
    try {
      if (statSync(override).isFile()) {
        throw new CliError(
          `error: KPM_CONFIG must name a directory (got file ${override}); use --config for a file`,
        );
      }
    } catch (error) {
      if (error instanceof CliError) throw error;
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
