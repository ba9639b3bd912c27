// `bun run blog-refs` (spec §16.1): the annotation map is exactly the spec's, every entry names a
// real command or flag, and a renamed flag, a removed command or a stray annotation fails.
import { afterAll, describe, expect, test } from "bun:test";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { blogRefMap, blogRefs, commandOfFile, scanBlogRefs, unresolved } from "../scripts/blog-refs.ts";
import { REPO_ROOT } from "./helpers/kpm-env.ts";
import { runToEnd } from "./helpers/run-to-end.ts";

const fixtures = mkdtempSync("/tmp/kb-");
afterAll(() => rmSync(fixtures, { recursive: true, force: true }));

/** A fake commands/ tree with the given files. */
function tree(files: Record<string, string>): string {
  const root = mkdtempSync(join(fixtures, "c-"));
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(join(root, path, ".."), { recursive: true });
    writeFileSync(join(root, path), text);
  }
  return root;
}

describe("bun run blog-refs", () => {
  test("prints the §16.1 map of the real sources as JSON and exits 0", async () => {
    const { code, stdout, stderr } = await runToEnd([process.execPath, "run", "blog-refs"], {
      env: process.env,
      cwd: REPO_ROOT,
    });
    expect(code).toBe(0);
    expect(stderr).not.toContain("//blog");
    expect(JSON.parse(stdout)).toEqual({
      "part-1": ["shell-init"],
      "part-2": [
        "env",
        "env --output",
        "env --plaintext",
        "env --strict",
        "run --plaintext",
        "run --strict",
        "shell-init",
      ],
      "part-3": ["profile", "show --profile"],
      "part-4": ["run --secure"],
    });
  });

  test("every annotated flag and command of the real sources resolves against the definitions", async () => {
    const { map, errors } = await blogRefs();
    expect(errors).toEqual([]);
    expect(Object.values(map).flat().length).toBeGreaterThan(0);
  });
});

describe("resolving entries", () => {
  test("real commands and flags resolve; renamed or removed ones say what is missing", async () => {
    expect(await unresolved("run --secure")).toBeNull();
    expect(await unresolved("dev serve --addr")).toBeNull();
    expect(await unresolved("shell-init")).toBeNull();
    expect(await unresolved("run --sekure")).toBe('"kpm run" has no flag --sekure');
    expect(await unresolved("frobnicate")).toBe('no command "kpm frobnicate"');
    expect(await unresolved("dev nope --dir")).toBe('no command "kpm dev nope"');
  });

  test("a source annotation naming a flag the definitions lack fails the check", async () => {
    const root = tree({
      "run.ts": 'export const runArgs = {\n  //blog:part-2\n  "no-such-flag": { type: "boolean" },\n};\n',
    });
    const { map, errors } = await blogRefs(root);
    expect(map).toEqual({ "part-2": ["run --no-such-flag"] });
    expect(errors).toHaveLength(1);
    expect(errors[0]).toContain(
      '//blog:part-2 names run --no-such-flag: "kpm run" has no flag --no-such-flag',
    );
  });

  test("an annotation above anything but a flag or command definition is an error", () => {
    const root = tree({ "env.ts": "//blog:part-2\nexport const envArgs = {\n};\n" });
    const { refs, errors } = scanBlogRefs(root);
    expect(refs).toEqual([]);
    expect(errors[0]).toContain("is not directly above a flag or command definition");
  });
});

describe("scanning", () => {
  test("command definitions, hook generators and flags (quoted or not, after comments) are attributed to the file's command", () => {
    const root = tree({
      "shell-init.ts": "//blog:part-1 //blog:part-2\nexport function shellHook() {}\n",
      "dev/serve.ts":
        "//blog:part-5\n// why this matters\nexport default defineKpmCommand({\n  args: {\n    //blog:part-5\n    addr: {},\n  },\n});\n",
    });
    const { refs, errors } = scanBlogRefs(root);
    expect(errors).toEqual([]);
    expect(blogRefMap(refs)).toEqual({
      "part-1": ["shell-init"],
      "part-2": ["shell-init"],
      "part-5": ["dev serve", "dev serve --addr"],
    });
  });

  test("the file path names the command; a group's index.ts names the group", () => {
    expect(commandOfFile("/c", "/c/env.ts")).toBe("env");
    expect(commandOfFile("/c", "/c/dev/secrets.ts")).toBe("dev secrets");
    expect(commandOfFile("/c", "/c/dev/index.ts")).toBe("dev");
  });

  test("parts sort numerically and entries are de-duplicated", () => {
    expect(
      blogRefMap([
        { part: "part-10", entry: "b", at: "x" },
        { part: "part-2", entry: "b", at: "x" },
        { part: "part-2", entry: "a", at: "y" },
        { part: "part-2", entry: "b", at: "z" },
      ]),
    ).toEqual({ "part-2": ["a", "b"], "part-10": ["b"] });
  });
});
