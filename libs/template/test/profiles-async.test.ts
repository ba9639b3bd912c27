import { describe, expect, test } from "bun:test";
import { join } from "node:path";
import fc from "fast-check";
import * as core from "../src/core.ts";
import { readFlatYaml } from "../src/flat-yaml.ts";
import * as index from "../src/index.ts";
import { loadProfiles, parseProfile } from "../src/profiles.ts";
import { loadProfilesAsync } from "../src/profiles-async.ts";
import { thrown, useFixtures } from "./helpers.ts";

const { fixture } = useFixtures();

const key = fc.stringMatching(/^[A-Za-z_][A-Za-z0-9_]{0,8}$/);
const value = fc.oneof(
  fc.stringMatching(/^[A-Za-z/_][A-Za-z0-9_./~+:@=%#-]{0,12}$/),
  fc.stringMatching(/^-?[0-9]{1,6}$/),
  fc.constantFrom("~/x", "./a", "../b", "true", "null", "[a]", "{a: 1}", "'q'", "a:", "*x", "&y", ":", "1.5"),
);
const line = fc.oneof(
  fc.tuple(key, value).map(([k, v]) => `${k}: ${v}`),
  fc.constantFrom(
    "",
    "# comment",
    "  # indented",
    "profile:",
    "profile:\n  env: x",
    "  nested: 1",
    "---",
    "- a",
    "a:b",
  ),
);
const text = fc.array(line, { maxLength: 8 }).map((lines) => lines.join("\n"));

describe("§5.6 profiles without the YAML parser", () => {
  test("a flat text without a profile key is one the YAML parser reads as 'no profile'", () => {
    fc.assert(
      fc.property(text, (candidate) => {
        const flat = readFlatYaml(candidate);
        if (flat && !Object.hasOwn(flat, "profile")) expect(parseProfile(candidate)).toBeNull();
      }),
      { numRuns: 2000 },
    );
  });

  test("loadProfilesAsync gives loadProfiles' values and warnings, with or without YAML files", async () => {
    const root = fixture({
      "flat.yaml": "server: https://x\ncert: /c\n",
      "global.yaml": "server: https://x\nprofile:\n  env: global\n  team: core\n",
      "a/.kpm/config.yaml": "profile:\n  env: a\n",
      "a/b/.kpm/config.yaml": "profile: [broken\n",
      "c/.kpm/config.yaml": "server: https://y\n",
    });
    const cases = [
      { cwd: join(root, "c"), globalConfigPath: join(root, "flat.yaml") },
      { cwd: join(root, "a/b"), globalConfigPath: join(root, "global.yaml") },
      { cwd: join(root, "a"), globalConfigPath: join(root, "flat.yaml") },
      { cwd: root, globalConfigPath: join(root, "missing.yaml") },
    ];
    for (const opts of cases) expect(await loadProfilesAsync(opts)).toEqual(loadProfiles(opts));
    const withWarning = await loadProfilesAsync(cases[1] as (typeof cases)[number]);
    expect(withWarning.warnings).toHaveLength(1);
    expect(withWarning.values.get("env")?.value).toBe("a");
  });

  test("loadProfilesAsync fails like loadProfiles on a broken global config", async () => {
    const root = fixture({ "global.yaml": "profile: [broken\n" });
    const opts = { cwd: root, globalConfigPath: join(root, "global.yaml") };
    const expected = thrown(() => loadProfiles(opts));
    let actual: unknown;
    try {
      await loadProfilesAsync(opts);
    } catch (error) {
      actual = error;
    }
    expect(actual).toBeInstanceOf(index.TemplateError);
    expect((actual as Error).message).toBe((expected as Error).message);
  });

  test("the core entry point exports everything the index does except loadProfiles", () => {
    const names = Object.keys(index).filter((name) => name !== "loadProfiles");
    expect(Object.keys(core).sort()).toEqual(names.sort());
    expect(core.parseReference).toBe(index.parseReference);
  });
});
