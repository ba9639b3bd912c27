// Permission faults need a non-root process: CI runs as root, which ignores file modes.

import { describe, expect, test } from "bun:test";
import { chmodSync } from "node:fs";
import { join } from "node:path";
import { useFixtures } from "./helpers.ts";

const { fixture } = useFixtures();

const entry = join(import.meta.dir, "helpers", "run-as-nobody.ts");

function runAsNobody(...args: string[]): unknown {
  const child = Bun.spawnSync({
    cmd: ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", process.execPath, entry, ...args],
    env: { PATH: process.env.PATH ?? "/usr/bin:/bin", HOME: "/tmp", BUN_RUNTIME_TRANSPILER_CACHE_PATH: "0" },
    stderr: "pipe",
  });
  if (child.exitCode !== 0) throw new Error(`child failed: ${child.stderr.toString()}`);
  return JSON.parse(child.stdout.toString());
}

/** A fixture nobody can traverse; files are world-readable unless chmod'ed below. */
function openFixture(files: Record<string, string>): string {
  const root = fixture(files);
  chmodSync(root, 0o755);
  return root;
}

describe("permission denied (run as nobody)", () => {
  test("an unreadable top-level template is an io error with the reason, not a stack", () => {
    const root = openFixture({ "t.template": "A=1\n" });
    chmodSync(join(root, "t.template"), 0o600);
    expect(runAsNobody("load", join(root, "t.template"), root)).toEqual({
      error: { code: "io", message: `open template ${join(root, "t.template")}: permission denied` },
    });
  });

  test("an unreadable include target is an io error naming the target", () => {
    const root = openFixture({
      "t.template": "${kms:include/secret}\n",
      ".kpm/templates/secret.template": "A=1\n",
    });
    const target = join(root, ".kpm/templates/secret.template");
    chmodSync(target, 0o600);
    expect(runAsNobody("load", join(root, "t.template"), root)).toEqual({
      error: { code: "io", message: `open template ${target}: permission denied` },
    });
  });

  test("the same file readable by nobody loads, proving the fixture itself is sound", () => {
    const root = openFixture({ "t.template": "A=1\n" });
    expect(runAsNobody("load", join(root, "t.template"), root)).toMatchObject({
      result: [{ key: "A", value: "1" }],
    });
  });

  test("an unreadable templates directory summarizes as an error", () => {
    const root = openFixture({ "dir/a.template": "A=1\n" });
    chmodSync(join(root, "dir"), 0o700);
    expect(runAsNobody("summary", join(root, "dir"))).toEqual({
      result: { error: `open ${join(root, "dir")}: permission denied` },
    });
  });

  test("an unreadable template in a listing shows as invalid with the reason", () => {
    const root = openFixture({ "dir/a.template": "A=${kms:kv/a}\n", "dir/b.template": "B=1\n" });
    chmodSync(join(root, "dir/a.template"), 0o600);
    expect(runAsNobody("summary", join(root, "dir"))).toEqual({
      result: {
        entries: [
          { name: "a.template", error: `open template ${join(root, "dir/a.template")}: permission denied` },
          { name: "b.template", count: 0, includes: 0, refs: [] },
        ],
      },
    });
  });

  test("an unreadable subdirectory is listed with the reason; its siblings still are", () => {
    const root = openFixture({ "dir/locked/a.template": "A=1\n", "dir/ai/b.template": "B=1\n" });
    chmodSync(join(root, "dir/locked"), 0o700);
    expect(runAsNobody("summary", join(root, "dir"))).toEqual({
      result: {
        entries: [
          { name: "ai/b.template", count: 0, includes: 0, refs: [] },
          { name: "locked/", unreadable: `open ${join(root, "dir/locked")}: permission denied` },
        ],
      },
    });
  });

  test("an unreadable walk-up profile is skipped with a warning", () => {
    const root = openFixture({
      ".kpm/config.yaml": "profile:\n  a: 1\n",
      "sub/.kpm/config.yaml": "profile:\n  b: 2\n",
    });
    chmodSync(join(root, ".kpm/config.yaml"), 0o600);
    const config = join(root, ".kpm/config.yaml");
    expect(runAsNobody("profiles", join(root, "sub"), join(root, "none.yaml"))).toEqual({
      result: {
        values: { b: { value: "2", source: join(root, "sub/.kpm/config.yaml") } },
        warnings: [`kpm: warning: ignoring profile in ${config}: permission denied`],
      },
    });
  });
});
