// Directory resolution (spec §4.1) against real directories: KPM_CONFIG/KPM_DATA, XDG (honoured
// even before the kpm dir exists, ignored when relative), the legacy ~/.kpm layout, and `~`.
import { afterEach, beforeEach, describe, expect, test } from "bun:test";
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { homedir, tmpdir } from "node:os";
import { join } from "node:path";
import fc from "fast-check";
import { CliError } from "../src/cli/errors.ts";
import { expandPath, homeDir, resolveConfigDir, resolveDataDir, resolveDirs } from "../src/paths.ts";

let root: string;
let home: string;
beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), "kpm-paths-"));
  home = join(root, "home");
  mkdirSync(home);
});
afterEach(() => rmSync(root, { recursive: true, force: true }));

describe("<ConfigDir>", () => {
  test("KPM_CONFIG names the directory verbatim, existing or not", () => {
    expect(resolveConfigDir({ KPM_CONFIG: join(root, "nowhere") }, home)).toBe(join(root, "nowhere"));
    expect(resolveConfigDir({ KPM_CONFIG: "relative/dir" }, home)).toBe("relative/dir");
  });

  test("KPM_CONFIG naming a regular file is refused with §4.1's text", () => {
    const file = join(root, "config.yaml");
    writeFileSync(file, "");
    let error: unknown;
    try {
      resolveConfigDir({ KPM_CONFIG: file }, home);
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(CliError);
    expect((error as CliError).lines).toEqual([
      `error: KPM_CONFIG must name a directory (got file ${file}); use --config for a file`,
    ]);
    expect((error as CliError).exitCode).toBe(1);
  });

  test("an empty KPM_CONFIG is ignored", () => {
    expect(resolveConfigDir({ KPM_CONFIG: "" }, home)).toBe(join(home, ".config", "kpm"));
  });

  test("XDG_CONFIG_HOME/kpm wins even when it does not exist yet", () => {
    const xdg = join(root, "xdg");
    expect(resolveConfigDir({ XDG_CONFIG_HOME: xdg }, home)).toBe(join(xdg, "kpm"));
  });

  test("a relative XDG_CONFIG_HOME is ignored", () => {
    expect(resolveConfigDir({ XDG_CONFIG_HOME: "rel/xdg" }, home)).toBe(join(home, ".config", "kpm"));
  });

  test("an existing XDG kpm dir wins over the legacy ~/.kpm/config.yaml", () => {
    mkdirSync(join(home, ".kpm"));
    writeFileSync(join(home, ".kpm", "config.yaml"), "");
    mkdirSync(join(home, ".config", "kpm"), { recursive: true });
    expect(resolveConfigDir({}, home)).toBe(join(home, ".config", "kpm"));
  });

  test("~/.kpm is used when it holds config.yaml and the XDG dir does not exist", () => {
    mkdirSync(join(home, ".kpm"));
    writeFileSync(join(home, ".kpm", "config.yaml"), "");
    expect(resolveConfigDir({}, home)).toBe(join(home, ".kpm"));
    expect(resolveConfigDir({ XDG_CONFIG_HOME: join(root, "xdg") }, home)).toBe(join(home, ".kpm"));
  });

  test("~/.kpm without config.yaml is not the config dir", () => {
    mkdirSync(join(home, ".kpm", "certs"), { recursive: true });
    expect(resolveConfigDir({}, home)).toBe(join(home, ".config", "kpm"));
  });

  test("a regular file where the XDG dir should be does not count as existing", () => {
    mkdirSync(join(home, ".config"));
    writeFileSync(join(home, ".config", "kpm"), "");
    mkdirSync(join(home, ".kpm"));
    writeFileSync(join(home, ".kpm", "config.yaml"), "");
    expect(resolveConfigDir({}, home)).toBe(join(home, ".kpm"));
  });

  test("a symlink to a directory counts as an existing XDG dir", () => {
    mkdirSync(join(root, "real"));
    mkdirSync(join(home, ".config"));
    symlinkSync(join(root, "real"), join(home, ".config", "kpm"));
    mkdirSync(join(home, ".kpm"));
    writeFileSync(join(home, ".kpm", "config.yaml"), "");
    expect(resolveConfigDir({}, home)).toBe(join(home, ".config", "kpm"));
  });
});

describe("<DataDir>", () => {
  test("KPM_DATA wins", () => {
    expect(resolveDataDir({ KPM_DATA: "/data/kpm", XDG_DATA_HOME: join(root, "x") }, home)).toBe("/data/kpm");
  });

  test("XDG_DATA_HOME/kpm wins even when it does not exist; relative is ignored", () => {
    expect(resolveDataDir({ XDG_DATA_HOME: join(root, "xd") }, home)).toBe(join(root, "xd", "kpm"));
    expect(resolveDataDir({ XDG_DATA_HOME: "xd" }, home)).toBe(join(home, ".local", "share", "kpm"));
  });

  test("~/.kpm is the data dir when it holds certs/ and the XDG dir does not exist", () => {
    mkdirSync(join(home, ".kpm", "certs"), { recursive: true });
    expect(resolveDataDir({}, home)).toBe(join(home, ".kpm"));
    mkdirSync(join(home, ".local", "share", "kpm"), { recursive: true });
    expect(resolveDataDir({}, home)).toBe(join(home, ".local", "share", "kpm"));
  });

  test("~/.kpm with only config.yaml is not the data dir", () => {
    mkdirSync(join(home, ".kpm"));
    writeFileSync(join(home, ".kpm", "config.yaml"), "");
    expect(resolveDataDir({}, home)).toBe(join(home, ".local", "share", "kpm"));
  });
});

describe("resolveDirs", () => {
  test("templates live under the config dir and certs under the data dir", () => {
    const dirs = resolveDirs({ HOME: home, KPM_CONFIG: join(root, "c"), KPM_DATA: join(root, "d") });
    expect(dirs).toEqual({
      configDir: join(root, "c"),
      dataDir: join(root, "d"),
      templatesDir: join(root, "c", "templates"),
      certsDir: join(root, "d", "certs"),
      home,
    });
  });

  test("HOME falls back to the OS home directory when unset or empty", () => {
    expect(homeDir({})).toBe(homedir());
    expect(homeDir({ HOME: "" })).toBe(homedir());
    expect(homeDir({ HOME: home })).toBe(home);
  });
});

describe("expandPath", () => {
  test("~ and ~/… expand to home; ~user does not; relative paths resolve against the base", () => {
    expect(expandPath("~", home, "/base")).toBe(home);
    expect(expandPath("~/a/b", home, "/base")).toBe(join(home, "a/b"));
    expect(expandPath("~user/x", home, "/base")).toBe("/base/~user/x");
    expect(expandPath("rel/x", home, "/base")).toBe("/base/rel/x");
    expect(expandPath("/abs/x", home, "/base")).toBe("/abs/x");
  });

  test("always yields an absolute path", () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 20 }), (path) => {
        expect(expandPath(path, home, "/base").startsWith("/")).toBe(true);
      }),
    );
  });
});
