// loadFlatConfig (config-flat.ts): the CLI's first try at config.yaml, without yaml or zod. It must
// answer exactly as loadConfig wherever it answers, and decline (undefined) everything else.
import { afterAll, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { loadConfig } from "../src/config.ts";
import { loadFlatConfig } from "../src/config-flat.ts";

const dir = mkdtempSync(join(tmpdir(), "kpm-flat-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("loadFlatConfig", () => {
  test("answers as loadConfig for flat, blank and missing files", () => {
    writeFileSync(join(dir, "flat"), "server: https://h:1\ncert: ~/c.crt\nsession_key_ttl: 0\nextra: x\n");
    writeFileSync(join(dir, "blank"), "  \n");
    for (const name of ["flat", "blank", "absent"]) {
      const path = join(dir, name);
      expect(loadFlatConfig(path, "/home/u")).toEqual(loadConfig(path, "/home/u"));
    }
    expect(loadFlatConfig(join(dir, "flat"), "/home/u")).toMatchObject({
      cert: "/home/u/c.crt",
      sessionKeyTtl: 3600,
      unknownKeys: ["extra"],
    });
  });

  test("declines a file only YAML and the schema can read", () => {
    writeFileSync(join(dir, "quoted"), 'server: "https://h"\n');
    writeFileSync(join(dir, "nested"), "profile:\n  env: x\n");
    expect(loadFlatConfig(join(dir, "quoted"), "/home/u")).toBeUndefined();
    expect(loadFlatConfig(join(dir, "nested"), "/home/u")).toBeUndefined();
  });

  test("an unreadable path is the same parse error as loadConfig's", () => {
    expect(() => loadFlatConfig(dir, "/home/u")).toThrow(
      `error: config parse error: parse config ${dir}: is a directory`,
    );
  });
});
