// requireBuiltin and importBuiltin hand back the real built-ins, load them only when called, and
// stay invisible to the bundler (so a compiled kpm does not load them at startup).
import { describe, expect, test } from "bun:test";
import * as fs from "node:fs";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import * as os from "node:os";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { importBuiltin, loadedBuiltins, requireBuiltin } from "@kpm/deferred";

const NAMES = ["node:crypto", "node:fs", "node:os", "node:path", "node:tty"] as const;

describe("requireBuiltin", () => {
  test("returns the built-ins a static import gets", () => {
    expect(requireBuiltin("node:fs").lstatSync("/").ino).toBe(fs.lstatSync("/").ino);
    expect(requireBuiltin("node:os").tmpdir()).toBe(os.tmpdir());
    for (const name of NAMES) expect(typeof requireBuiltin(name)).toBe("object");
  });

  test("works: hashes with node:crypto, joins with node:path", () => {
    const digest = requireBuiltin("node:crypto").createHash("sha256").update("kpm").digest("hex");
    expect(digest).toHaveLength(64);
    expect(requireBuiltin("node:path").join("/a", "b")).toBe("/a/b");
    expect(requireBuiltin("node:tty").isatty(987_654)).toBe(false);
  });
});

describe("importBuiltin", () => {
  test("resolves to the built-in's functions", async () => {
    expect((await importBuiltin("node:fs")).lstatSync("/").ino).toBe(fs.lstatSync("/").ino);
    expect((await importBuiltin("node:os")).tmpdir()).toBe(os.tmpdir());
    for (const name of NAMES) expect(typeof (await importBuiltin(name))).toBe("object");
  });
});

describe("loadedBuiltins", () => {
  test("names each built-in asked for, once, in first-use order", async () => {
    const script = `
      import { importBuiltin, loadedBuiltins, requireBuiltin } from "@kpm/deferred";
      const before = loadedBuiltins();
      requireBuiltin("node:path");
      await importBuiltin("node:os");
      requireBuiltin("node:path");
      console.log(JSON.stringify([before, loadedBuiltins()]));
    `;
    const run = Bun.spawnSync([process.execPath, "-e", script], {
      cwd: join(import.meta.dir, ".."),
      stderr: "pipe",
    });
    expect(run.stderr.toString()).toBe("");
    expect(JSON.parse(run.stdout.toString())).toEqual([[], ["node:path", "node:os"]]);
    expect(loadedBuiltins()).toEqual(expect.arrayContaining([...NAMES]));
  });
});

describe("in a bundle", () => {
  test("the bundle imports no built-in: each loads at its call", async () => {
    const dir = mkdtempSync(join(tmpdir(), "kpm-deferred-"));
    try {
      const entry = join(dir, "entry.ts");
      const helper = JSON.stringify(join(import.meta.dir, "..", "src", "index.ts"));
      writeFileSync(
        entry,
        `import { importBuiltin, requireBuiltin } from ${helper};
        if (process.argv[2] === "sync") console.log(requireBuiltin("node:path").join("a", "b"));
        if (process.argv[2] === "async") console.log((await importBuiltin("node:path")).join("a", "b"));\n`,
      );
      const built = await Bun.build({ entrypoints: [entry], target: "bun", format: "esm", metafile: true });
      expect(built.success).toBe(true);
      const imports = Object.values(built.metafile?.inputs ?? {}).flatMap((input) =>
        input.imports.map((item) => item.original ?? item.path),
      );
      expect(imports.filter((name) => name.startsWith("node:") || name === "path")).toEqual([]);
      const bundle = join(dir, "bundle.js");
      await Bun.write(bundle, built.outputs[0] as Blob);
      for (const mode of ["sync", "async"]) {
        const run = Bun.spawnSync([process.execPath, bundle, mode], { stderr: "pipe" });
        expect(run.stderr.toString()).toBe("");
        expect(run.stdout.toString()).toBe("a/b\n");
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
