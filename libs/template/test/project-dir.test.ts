// The project directory (findProjectDir) and what uses it: discovery, includes and the `--from NAME`
// fallback find a project's `.kpm/templates` from any subdirectory of its repository, never past
// the repository root, and outside a repository only in the current directory.
// biome-ignore-all lint/suspicious/noTemplateCurlyInString: templates spell ${kms:…} references literally
import { describe, expect, test } from "bun:test";
import { mkdirSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import {
  discoverTemplate,
  findProjectDir,
  loadTemplate,
  projectTemplatesDir,
  resolveTemplatePath,
} from "../src/index.ts";
import { useFixtures } from "./helpers.ts";

const { fixture } = useFixtures();

/** A fixture with `<root>/repo/.git` (a repository) and the given files; `dirs` are created empty. */
function repo(files: Record<string, string> = {}, dirs: string[] = []): string {
  const root = fixture(files);
  mkdirSync(join(root, "repo/.git"), { recursive: true });
  for (const dir of dirs) mkdirSync(join(root, dir), { recursive: true });
  return root;
}

describe("findProjectDir", () => {
  test("the fixtures live outside any repository or project (the tests below depend on it)", () => {
    const root = fixture({ "a/b/x": "" });
    expect(findProjectDir(join(root, "a/b"))).toBe(join(root, "a/b"));
  });

  test("in a repository, the nearest .kpm from a subdirectory up to the root", () => {
    const root = repo({}, ["repo/.kpm", "repo/app/src"]);
    expect(findProjectDir(join(root, "repo/app/src"))).toBe(join(root, "repo"));
    expect(findProjectDir(join(root, "repo"))).toBe(join(root, "repo"));
    mkdirSync(join(root, "repo/app/.kpm"));
    expect(findProjectDir(join(root, "repo/app/src"))).toBe(join(root, "repo/app"));
  });

  test("never above the repository root: a .kpm beyond it is not this project's", () => {
    const root = repo({}, [".kpm", "repo/app"]);
    expect(findProjectDir(join(root, "repo/app"))).toBe(join(root, "repo/app"));
    expect(findProjectDir(join(root, "repo"))).toBe(join(root, "repo"));
  });

  test("outside a repository only the current directory counts (no walk to ~/.kpm)", () => {
    const root = fixture();
    mkdirSync(join(root, ".kpm"));
    mkdirSync(join(root, "sub/deeper"), { recursive: true });
    expect(findProjectDir(join(root, "sub/deeper"))).toBe(join(root, "sub/deeper"));
    expect(findProjectDir(root)).toBe(root);
  });

  test("a .git file (worktree, submodule) marks the root; a .kpm file is no project; a .kpm link is", () => {
    const root = fixture({ "wt/.git": "gitdir: /elsewhere\n", "wt/a/.kpm": "not a directory" });
    mkdirSync(join(root, ".kpm"));
    mkdirSync(join(root, "wt/.kpm"));
    expect(findProjectDir(join(root, "wt/a"))).toBe(join(root, "wt"));
    const linked = repo({}, ["shared/.kpm", "repo/sub"]);
    symlinkSync(join(linked, "shared/.kpm"), join(linked, "repo/.kpm"));
    expect(findProjectDir(join(linked, "repo/sub"))).toBe(join(linked, "repo"));
  });

  test("a fresh process answers from its first call (libc bound on first use)", () => {
    const root = repo({}, ["repo/.kpm", "repo/a/b", "outside/.kpm", "outside/x"]);
    const cases = ["repo/a/b", "repo", "outside/x", "outside"].map((dir) => join(root, dir));
    // A fresh process: in this one another test file may have bound libc already.
    const script = `
      import { findProjectDir } from "@kpm/template/project-dir";
      const cases = ${JSON.stringify(cases)};
      const first = cases.map(findProjectDir);
      console.log(JSON.stringify([first, cases.map(findProjectDir)]));
    `;
    const result = Bun.spawnSync([process.execPath, "-e", script], {
      cwd: join(import.meta.dir, ".."),
      stdin: "ignore",
      stderr: "pipe",
    });
    expect(result.stderr.toString()).toBe("");
    const expected = [join(root, "repo"), join(root, "repo"), join(root, "outside/x"), join(root, "outside")];
    expect(JSON.parse(result.stdout.toString())).toEqual([expected, expected]);
    expect(cases.map(findProjectDir)).toEqual(expected);
  });

  test("projectTemplatesDir is <project>/.kpm/templates, also at the file system root", () => {
    const root = repo({}, ["repo/.kpm/templates", "repo/sub"]);
    expect(projectTemplatesDir(join(root, "repo/sub"))).toBe(join(root, "repo/.kpm/templates"));
    expect(projectTemplatesDir("/")).toBe("/.kpm/templates");
  });
});

describe("project templates from a subdirectory of the repository", () => {
  const files = {
    "repo/.kpm/templates/claude.template": "${kms:include/base}\nOWN=1\n",
    "repo/.kpm/templates/base.template": "BASE=b\n",
    "repo/.kpm/templates/named.template": "NAMED=1\n",
    "repo/app/src/.keep": "",
    "user/ai/claude.template": "USER=1\n",
  };

  test("discovery finds <tool>.template in the project root's .kpm/templates", () => {
    const root = repo(files);
    const ctx = { cwd: join(root, "repo/app/src"), templatesDir: join(root, "user") };
    expect(discoverTemplate("claude", ctx)).toBe(join(root, "repo/.kpm/templates/claude.template"));
  });

  test("includes resolve in the project root's .kpm/templates", () => {
    const root = repo(files);
    const ctx = { cwd: join(root, "repo/app/src"), templatesDir: join(root, "user"), profile: new Map() };
    const entries = loadTemplate(join(root, "repo/.kpm/templates/claude.template"), ctx);
    expect(entries.map((entry) => entry.key)).toEqual(["BASE", "OWN"]);
    expect(entries[0]?.file).toBe(join(root, "repo/.kpm/templates/base.template"));
  });

  test("--from NAME falls back to the project root's .kpm/templates", () => {
    const root = repo(files);
    const ctx = { cwd: join(root, "repo/app/src"), templatesDir: join(root, "user"), home: root };
    expect(resolveTemplatePath("named.template", ctx)).toBe(join(root, "repo/.kpm/templates/named.template"));
  });

  test("outside a repository a parent's .kpm/templates is not discovered", () => {
    const root = fixture(files);
    const ctx = { cwd: join(root, "repo/app/src"), templatesDir: join(root, "user") };
    expect(discoverTemplate("claude", ctx)).toBe(join(root, "user/ai/claude.template"));
    writeFileSync(join(root, "repo/.git"), "gitdir: /elsewhere\n");
    expect(discoverTemplate("claude", ctx)).toBe(join(root, "repo/.kpm/templates/claude.template"));
  });
});
