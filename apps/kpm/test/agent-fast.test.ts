// The fast path of `kpm get` (agent-fast.ts): which argv it takes, that the variables it sends are
// all that locate the config (held to paths.ts resolveDirs), and that without an agent it declines.
// biome-ignore-all lint/suspicious/noTemplateCurlyInString: references spell ${kms:…} literally
import { afterAll, describe, expect, test } from "bun:test";
import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { join } from "node:path";
import { DIRECTORY_VARIABLES, fastGet, fastPathApplies } from "../src/agent-fast.ts";
import { resolveDirs } from "../src/paths.ts";

const root = mkdtempSync("/tmp/kf-");
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe("fastPathApplies", () => {
  test("only the bare `get <ref>`, without profile expansion, with the agent on", () => {
    expect(fastPathApplies(["get", "llm/anthropic"], {})).toBe(true);
    expect(fastPathApplies(["get", "${kms:kv/a#b}"], {})).toBe(true);
    for (const argv of [
      ["get"],
      ["get", ""],
      ["get", "--help"],
      ["get", "-v"],
      ["get", "kv/{{profile:env}}/db#x"],
      ["get", "a/b", "--verbose"],
      ["list", "x"],
    ])
      expect({ argv, applies: fastPathApplies(argv, {}) }).toEqual({ argv, applies: false });
    expect(fastPathApplies(["get", "llm/a"], { KPM_NO_AGENT: "1" })).toBe(false);
  });
});

describe("DIRECTORY_VARIABLES", () => {
  test("resolveDirs reads no other variable, and each of these changes its answer", () => {
    const home = join(root, "home");
    mkdirSync(home, { recursive: true });
    const base = { HOME: home };
    const noise = {
      PATH: "/x",
      TMPDIR: "/y",
      XDG_RUNTIME_DIR: "/z",
      USER: "u",
      KPM_DEBUG: "1",
      SHELL: "/bin/sh",
    };
    expect(resolveDirs({ ...base, ...noise })).toEqual(resolveDirs(base));
    for (const name of DIRECTORY_VARIABLES) {
      const changed = resolveDirs({ ...base, [name]: join(root, `v-${name}`) });
      expect({ name, same: JSON.stringify(changed) === JSON.stringify(resolveDirs(base)) }).toEqual({
        name,
        same: false,
      });
    }
  });
});

describe("fastGet", () => {
  test("declines (null) when no agent listens", () => {
    const temp = join(root, "t");
    mkdirSync(temp, { recursive: true, mode: 0o700 });
    expect(fastGet("llm/a", { HOME: root, TMPDIR: temp })).toBeNull();
    mkdirSync(join(temp, `kpm-${process.getuid?.() ?? 0}`), { mode: 0o700 });
    expect(fastGet("llm/a", { HOME: root, TMPDIR: temp })).toBeNull();
  });
});
