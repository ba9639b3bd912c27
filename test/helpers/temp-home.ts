// An isolated HOME with its own XDG config/data/runtime dirs and TMPDIR under os.tmpdir(), so a
// test's kpm never sees (or writes) the developer's real configuration.
import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

export interface TempHome {
  /** The directory that holds everything below; removed by cleanup(). */
  root: string;
  home: string;
  /** `$XDG_CONFIG_HOME` (exists); kpm's <ConfigDir> is `configDir`, which does not exist yet. */
  configHome: string;
  configDir: string;
  /** `$XDG_DATA_HOME` (exists); kpm's <DataDir> is `dataDir`, which does not exist yet. */
  dataHome: string;
  dataDir: string;
  /** `$XDG_RUNTIME_DIR` (exists, 0700). */
  runtimeHome: string;
  /** `$TMPDIR` (exists, 0700). */
  tmp: string;
  /** A minimal environment naming only these directories, PATH and a UTF-8 locale. */
  env: Record<string, string>;
  cleanup(): void;
  [Symbol.dispose](): void;
}

export function tempHome(): TempHome {
  // Short names: listener socket paths under the runtime dir must stay within sun_path's 104 bytes.
  const root = mkdtempSync(join(tmpdir(), "kpm-h-"));
  const dir = (name: string) => {
    const path = join(root, name);
    mkdirSync(path, { recursive: true, mode: 0o700 });
    return path;
  };
  const home = dir("home");
  const configHome = dir("config");
  const dataHome = dir("data");
  const runtimeHome = dir("run");
  const tmp = dir("tmp");
  const env: Record<string, string> = {
    HOME: home,
    XDG_CONFIG_HOME: configHome,
    XDG_DATA_HOME: dataHome,
    XDG_RUNTIME_DIR: runtimeHome,
    TMPDIR: tmp,
    PATH: process.env.PATH ?? "/usr/local/bin:/usr/bin:/bin",
    LANG: "C.UTF-8",
  };
  const cleanup = () => rmSync(root, { recursive: true, force: true });
  return {
    root,
    home,
    configHome,
    configDir: join(configHome, "kpm"),
    dataHome,
    dataDir: join(dataHome, "kpm"),
    runtimeHome,
    tmp,
    env,
    cleanup,
    [Symbol.dispose]: cleanup,
  };
}
