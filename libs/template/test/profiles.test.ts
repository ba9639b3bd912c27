import { describe, expect, test } from "bun:test";
import { mkdirSync, symlinkSync } from "node:fs";
import { join } from "node:path";
import { loadProfiles, TemplateError } from "../src/index.ts";
import { thrown, useFixtures, write } from "./helpers.ts";

const { fixture } = useFixtures();

function plainValues(values: Map<string, { value: string; source: string }>) {
  return Object.fromEntries([...values].map(([key, { value }]) => [key, value]));
}

describe("§5.6 loadProfiles", () => {
  test("no config files anywhere gives an empty profile and no warnings", () => {
    const root = fixture({ "a/b/.keep": "" });
    const { values, warnings } = loadProfiles({
      cwd: join(root, "a/b"),
      globalConfigPath: join(root, "missing.yaml"),
    });
    expect(values.size).toBe(0);
    expect(warnings).toEqual([]);
  });

  test("the deepest directory wins, then shallower ones, then the global config", () => {
    const root = fixture({
      "global.yaml":
        "server: https://x\nprofile:\n  env: global\n  region: eu\n  team: core\n  only_global: g\n",
      ".kpm/config.yaml": "profile:\n  env: root\n  region: us\n  team: root-team\n",
      "a/.kpm/config.yaml": "profile:\n  env: a\n",
      "a/b/.kpm/config.yaml": "profile:\n  env: deep\n",
    });
    const { values } = loadProfiles({ cwd: join(root, "a/b"), globalConfigPath: join(root, "global.yaml") });
    expect(plainValues(values)).toEqual({ env: "deep", region: "us", team: "root-team", only_global: "g" });
    expect(values.get("env")?.source).toBe(join(root, "a/b/.kpm/config.yaml"));
    expect(values.get("region")?.source).toBe(join(root, ".kpm/config.yaml"));
    expect(values.get("only_global")?.source).toBe(join(root, "global.yaml"));
  });

  test("scalars become their YAML text", () => {
    const root = fixture({
      ".kpm/config.yaml":
        "profile:\n  f: 1.0\n  h: 0x1F\n  b: true\n  y: yes\n  q: '007'\n  s: \"a b\"\n  i: 42\n",
    });
    const { values } = loadProfiles({ cwd: root, globalConfigPath: join(root, "none") });
    expect(plainValues(values)).toEqual({
      f: "1.0",
      h: "0x1F",
      b: "true",
      y: "yes",
      q: "007",
      s: "a b",
      i: "42",
    });
  });

  test("null values are ignored and do not hide a shallower value", () => {
    const root = fixture({
      ".kpm/config.yaml": "profile:\n  env: root\n",
      "a/.kpm/config.yaml": "profile:\n  env:\n  x: ~\n",
    });
    const { values, warnings } = loadProfiles({ cwd: join(root, "a"), globalConfigPath: join(root, "none") });
    expect(plainValues(values)).toEqual({ env: "root" });
    expect(warnings).toEqual([]);
  });

  test("numeric keys become strings", () => {
    const root = fixture({ ".kpm/config.yaml": "profile:\n  1: one\n" });
    expect(plainValues(loadProfiles({ cwd: root, globalConfigPath: join(root, "none") }).values)).toEqual({
      "1": "one",
    });
  });

  test("files without a profile section, empty files and null profiles contribute nothing", () => {
    const root = fixture({
      ".kpm/config.yaml": "",
      "a/.kpm/config.yaml": "server: https://x\n",
      "a/b/.kpm/config.yaml": "profile:\n",
    });
    const { values, warnings } = loadProfiles({
      cwd: join(root, "a/b"),
      globalConfigPath: join(root, "none"),
    });
    expect(values.size).toBe(0);
    expect(warnings).toEqual([]);
  });

  const badFiles: [string, string, string][] = [
    ["a non-scalar value", "profile:\n  env: [a, b]\n", 'profile value "env" is not a scalar'],
    ["a mapping value", "profile:\n  env:\n    x: 1\n", 'profile value "env" is not a scalar'],
    ["a non-scalar key", "profile:\n  ? [a]\n  : v\n", "profile has a key that is not a scalar"],
    ["a profile that is a list", "profile:\n  - a\n", "profile is not a mapping"],
    ["a profile that is a string", "profile: dev\n", "profile is not a mapping"],
    ["a document that is a list", "- a\n", "not a YAML mapping"],
    [
      "a syntax error",
      "profile:\n  a: [\n",
      "Flow sequence in block collection must be sufficiently indented and end with a ] at line 3, column 1",
    ],
    ["duplicate keys", "profile:\n  a: 1\n  a: 2\n", "Map keys must be unique at line 3, column 3"],
  ];
  for (const [what, content, detail] of badFiles) {
    test(`a walk-up file with ${what} is skipped with a warning`, () => {
      const root = fixture({ ".kpm/config.yaml": "profile:\n  kept: root\n", "a/.kpm/config.yaml": content });
      const bad = join(root, "a/.kpm/config.yaml");
      const { values, warnings } = loadProfiles({
        cwd: join(root, "a"),
        globalConfigPath: join(root, "none"),
      });
      expect(warnings).toEqual([`kpm: warning: ignoring profile in ${bad}: ${detail}`]);
      expect(plainValues(values)).toEqual({ kept: "root" });
    });
  }

  test("a global config that does not parse is fatal", () => {
    const root = fixture({ "config.yaml": "profile: [\n" });
    const error = thrown(() => loadProfiles({ cwd: root, globalConfigPath: join(root, "config.yaml") }));
    expect(error).toBeInstanceOf(TemplateError);
    expect(error).toMatchObject({ code: "config" });
    expect((error as TemplateError).message).toStartWith(`parse config ${join(root, "config.yaml")}: `);
  });

  test("a global config whose profile is not a mapping of scalars is fatal", () => {
    const root = fixture({ "config.yaml": "profile:\n  a: [1]\n" });
    expect(
      thrown(() => loadProfiles({ cwd: root, globalConfigPath: join(root, "config.yaml") })),
    ).toMatchObject({
      code: "config",
      message: `parse config ${join(root, "config.yaml")}: profile value "a" is not a scalar`,
    });
  });

  test("a global config path that is a directory is fatal", () => {
    const root = fixture({ "cfg/x": "" });
    expect(thrown(() => loadProfiles({ cwd: root, globalConfigPath: join(root, "cfg") }))).toMatchObject({
      code: "config",
      message: `parse config ${join(root, "cfg")}: is a directory`,
    });
  });

  test("a global config that is also on the walk is read once, at its walk position", () => {
    const root = fixture({
      ".kpm/config.yaml": "profile:\n  env: home\n",
      "a/.kpm/config.yaml": "profile:\n  x: 1\n",
    });
    const { values } = loadProfiles({
      cwd: join(root, "a"),
      globalConfigPath: join(root, ".kpm/config.yaml"),
    });
    expect(plainValues(values)).toEqual({ env: "home", x: "1" });
    expect(values.get("env")?.source).toBe(join(root, ".kpm/config.yaml"));
  });

  test("a bad walk file that is also the global config warns once and is not fatal", () => {
    const root = fixture({ ".kpm/config.yaml": "profile: [\n" });
    const { warnings } = loadProfiles({ cwd: root, globalConfigPath: join(root, ".kpm/config.yaml") });
    expect(warnings).toHaveLength(1);
  });

  test("two directories whose config is the same real file read it once", () => {
    const root = fixture({ "shared/config.yaml": "profile:\n  env: shared\n", "a/b/.keep": "" });
    mkdirSync(join(root, "a/.kpm"));
    mkdirSync(join(root, "a/b/.kpm"));
    symlinkSync(join(root, "shared/config.yaml"), join(root, "a/.kpm/config.yaml"));
    symlinkSync(join(root, "shared/config.yaml"), join(root, "a/b/.kpm/config.yaml"));
    write(root, "global.yaml", "profile:\n  env: global\n");
    const { values } = loadProfiles({ cwd: join(root, "a/b"), globalConfigPath: join(root, "global.yaml") });
    // The deepest link is taken; the shallower one is the same file and is skipped.
    expect(values.get("env")).toEqual({ value: "shared", source: join(root, "a/b/.kpm/config.yaml") });
  });

  test("a '.kpm' that is a file is not a config location", () => {
    const root = fixture({ ".kpm": "not a dir" });
    expect(loadProfiles({ cwd: root, globalConfigPath: join(root, "none") }).warnings).toEqual([]);
  });
});
