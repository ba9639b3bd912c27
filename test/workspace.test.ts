// Workspace hygiene: one version of each third-party package (the root catalog), and every
// package declares exactly what it imports — runtime imports as dependencies, test-only ones as
// devDependencies — with no dependency it does not use.
import { describe, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { Glob } from "bun";

const ROOT = join(import.meta.dir, "..");

interface Manifest {
  name: string;
  dependencies?: Record<string, string>;
  devDependencies?: Record<string, string>;
  workspaces?: { packages: string[]; catalog: Record<string, string> };
}

const read = (path: string): Manifest => JSON.parse(readFileSync(join(ROOT, path), "utf8")) as Manifest;
const root = read("package.json");
const manifests = [...new Glob("{apps,libs}/*/package.json").scanSync(ROOT)].sort();
const transpiler = new Bun.Transpiler({ loader: "ts" });

/** The packages a directory's TypeScript files import (bare specifiers, by package name). */
function importedPackages(dir: string): Set<string> {
  const names = new Set<string>();
  for (const file of new Glob("**/*.ts").scanSync(join(ROOT, dir))) {
    // A shebang (main.ts) is not TypeScript: the scanner sees the code after it.
    const code = readFileSync(join(ROOT, dir, file), "utf8").replace(/^#!.*/, "");
    for (const { path } of transpiler.scanImports(code)) {
      if (path.startsWith(".") || path.startsWith("/") || path.startsWith("node:") || path.startsWith("bun"))
        continue;
      const parts = path.split("/");
      names.add(path.startsWith("@") ? `${parts[0]}/${parts[1]}` : (parts[0] as string));
    }
  }
  return names;
}

describe("the workspace", () => {
  test("every third-party dependency comes from the root catalog, pinned to an exact version", () => {
    const catalog = root.workspaces?.catalog ?? {};
    for (const version of Object.values(catalog)) expect(version).toMatch(/^\d+\.\d+\.\d+$/);
    for (const path of manifests) {
      const manifest = read(path);
      for (const [name, version] of Object.entries({
        ...manifest.dependencies,
        ...manifest.devDependencies,
      })) {
        const expected = name.startsWith("@kpm/") ? "workspace:*" : "catalog:";
        expect(`${path}: ${name}@${version}`).toBe(`${path}: ${name}@${expected}`);
        if (expected === "catalog:") expect(catalog[name], `${name} in the catalog`).toBeDefined();
      }
    }
  });

  for (const path of manifests) {
    test(`${dirname(path)} declares what it imports, and nothing else`, () => {
      const manifest = read(path);
      const runtime = importedPackages(join(dirname(path), "src"));
      const tests = importedPackages(join(dirname(path), "test"));
      runtime.delete(manifest.name);
      tests.delete(manifest.name);
      const declared = Object.keys(manifest.dependencies ?? {}).sort();
      const testOnly = Object.keys(manifest.devDependencies ?? {}).sort();
      expect(declared).toEqual([...runtime].sort());
      expect(testOnly).toEqual([...tests].filter((name) => !runtime.has(name)).sort());
    });
  }

  test("docs/architecture.md's package table lists every package and exactly its workspace imports", () => {
    const doc = readFileSync(join(ROOT, "docs/architecture.md"), "utf8");
    const table = new Map<string, string[]>();
    for (const match of doc.matchAll(/^\| `([^`]+)` +\|[^|]+\| ([^|]+?) +\|$/gm)) {
      const imports = (match[2] as string).trim();
      table.set(match[1] as string, imports === "—" ? [] : imports.split(", "));
    }
    const expected = new Map<string, string[]>();
    for (const path of manifests) {
      const manifest = read(path);
      const deps = Object.keys(manifest.dependencies ?? {})
        .filter((name) => name.startsWith("@kpm/"))
        .map((name) => name.slice("@kpm/".length))
        .sort();
      expected.set(manifest.name, deps);
    }
    expect(Object.fromEntries(table)).toEqual(Object.fromEntries(expected));
  });
});
