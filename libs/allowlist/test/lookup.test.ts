import { afterAll, describe, expect, test } from "bun:test";
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { AllowlistError, allowlistCandidates, boundingAllowlist, findAllowlist } from "../src/index.ts";

const root = mkdtempSync(join(tmpdir(), "kpm-allowlist-lookup-"));
afterAll(() => rmSync(root, { recursive: true, force: true }));

function layout(name: string): { cwd: string; project: string; configDir: string } {
  const base = join(root, name);
  const cwd = join(base, "cwd");
  const project = join(base, "project");
  const configDir = join(base, "config");
  for (const dir of [join(cwd, ".kpm"), join(project, ".kpm"), configDir])
    mkdirSync(dir, { recursive: true });
  return { cwd, project, configDir };
}

describe("allowlistCandidates", () => {
  test("uses <project>/.kpm (here cwd: no repository) then <configDir> when KPM_PROJECT_DIR is unset or empty", () => {
    const expected: [string, string] = [
      "/work/app/.kpm/secure-allowlist.yaml",
      "/home/u/.config/kpm/secure-allowlist.yaml",
    ];
    expect(allowlistCandidates({ cwd: "/work/app", configDir: "/home/u/.config/kpm" })).toEqual(expected);
    expect(
      allowlistCandidates({ projectDir: "", cwd: "/work/app", configDir: "/home/u/.config/kpm" }),
    ).toEqual(expected);
  });

  test("uses $KPM_PROJECT_DIR/.kpm instead of cwd, resolving a relative one against cwd", () => {
    expect(allowlistCandidates({ projectDir: "/repo", cwd: "/elsewhere", configDir: "/c" })).toEqual([
      "/repo/.kpm/secure-allowlist.yaml",
      "/c/secure-allowlist.yaml",
    ]);
    expect(allowlistCandidates({ projectDir: "../repo", cwd: "/w/app", configDir: "/c" })[0]).toBe(
      "/w/repo/.kpm/secure-allowlist.yaml",
    );
  });
});

describe("findAllowlist", () => {
  test("the project file beats the user file", () => {
    const { cwd, configDir } = layout("both");
    writeFileSync(join(cwd, ".kpm", "secure-allowlist.yaml"), "a: [A]\n");
    writeFileSync(join(configDir, "secure-allowlist.yaml"), "b: [B]\n");
    expect(findAllowlist({ cwd, configDir })).toBe(join(cwd, ".kpm", "secure-allowlist.yaml"));
  });

  test("falls back to the user file when the project has none", () => {
    const { cwd, configDir } = layout("user-only");
    writeFileSync(join(configDir, "secure-allowlist.yaml"), "b: [B]\n");
    expect(findAllowlist({ cwd, configDir })).toBe(join(configDir, "secure-allowlist.yaml"));
  });

  test("honours KPM_PROJECT_DIR over the cwd's file", () => {
    const { cwd, project, configDir } = layout("project-dir");
    writeFileSync(join(cwd, ".kpm", "secure-allowlist.yaml"), "a: [A]\n");
    writeFileSync(join(project, ".kpm", "secure-allowlist.yaml"), "p: [P]\n");
    expect(findAllowlist({ projectDir: project, cwd, configDir })).toBe(
      join(project, ".kpm", "secure-allowlist.yaml"),
    );
  });

  test("from a subdirectory of a repository, the project's list at its root; never above the root", () => {
    const { cwd, configDir } = layout("walk");
    mkdirSync(join(cwd, ".git"));
    mkdirSync(join(cwd, "app/src"), { recursive: true });
    writeFileSync(join(cwd, ".kpm", "secure-allowlist.yaml"), "a: [A]\n");
    writeFileSync(join(configDir, "secure-allowlist.yaml"), "b: [B]\n");
    expect(findAllowlist({ cwd: join(cwd, "app/src"), configDir })).toBe(
      join(cwd, ".kpm", "secure-allowlist.yaml"),
    );
    // A nested repository ends the walk before the outer one's .kpm.
    mkdirSync(join(cwd, "app/.git"));
    expect(findAllowlist({ cwd: join(cwd, "app/src"), configDir })).toBe(
      join(configDir, "secure-allowlist.yaml"),
    );
  });

  test("a directory named secure-allowlist.yaml is not a file and is skipped", () => {
    const { cwd, configDir } = layout("dir");
    mkdirSync(join(cwd, ".kpm", "secure-allowlist.yaml"));
    writeFileSync(join(configDir, "secure-allowlist.yaml"), "b: [B]\n");
    expect(findAllowlist({ cwd, configDir })).toBe(join(configDir, "secure-allowlist.yaml"));
  });

  test("a symlink to a regular file counts as the file", () => {
    const { cwd, configDir } = layout("symlink");
    writeFileSync(join(root, "symlink", "real.yaml"), "a: [A]\n");
    symlinkSync(join(root, "symlink", "real.yaml"), join(cwd, ".kpm", "secure-allowlist.yaml"));
    expect(findAllowlist({ cwd, configDir })).toBe(join(cwd, ".kpm", "secure-allowlist.yaml"));
  });

  test("none found names both paths actually checked", () => {
    const { cwd, configDir } = layout("none");
    // A file where the .kpm directory should be makes the project path ENOTDIR.
    rmSync(join(cwd, ".kpm"), { recursive: true });
    writeFileSync(join(cwd, ".kpm"), "");
    let error: unknown;
    try {
      findAllowlist({ cwd, configDir });
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(AllowlistError);
    expect((error as AllowlistError).code).toBe("not_found");
    expect((error as AllowlistError).message).toBe(
      `kpm: --secure requires an allow-list; create ${join(cwd, ".kpm", "secure-allowlist.yaml")} or ${join(configDir, "secure-allowlist.yaml")}`,
    );
  });
});

describe("boundingAllowlist", () => {
  test("the user's list bounds a chosen project list, and only when the user has one", () => {
    const { cwd, configDir } = layout("bounding");
    const project = join(cwd, ".kpm/secure-allowlist.yaml");
    const user = join(configDir, "secure-allowlist.yaml");
    writeFileSync(project, "claude: []\n");
    expect(boundingAllowlist({ cwd, configDir }, project)).toBeNull();
    writeFileSync(user, "claude: []\n");
    expect(boundingAllowlist({ cwd, configDir }, project)).toBe(user);
    // When the user's own list is the one chosen, nothing bounds it.
    expect(boundingAllowlist({ cwd, configDir }, user)).toBeNull();
  });
});
