// @kpm/deferred/path answers as node:path for every input, and takes node:path only for the
// inputs whose answer is not plain string work (the others never load it: checked in a fresh
// process, since this one has node:path loaded already).
import { describe, expect, test } from "bun:test";
import * as nodePath from "node:path";
import {
  basename,
  dirname,
  isAbsolute,
  isCleanAbsolute,
  join,
  posixDirname,
  relative,
  resolve,
  sep,
} from "@kpm/deferred/path";
import fc from "fast-check";

const piece = fc.oneof(
  fc
    .array(fc.constantFrom("/", "//", "a", "bc", ".", "..", "é", " ", "\\", "~"), { maxLength: 8 })
    .map((parts) => parts.join("")),
  fc.string({ maxLength: 12 }),
);
const pieces = fc.array(piece, { minLength: 1, maxLength: 5 });
const RUNS = { numRuns: 5000 };

describe.if(process.platform !== "win32")("the same answer as node:path", () => {
  test("join", () => {
    fc.assert(
      fc.property(pieces, (parts) => expect(join(...parts)).toBe(nodePath.join(...parts))),
      RUNS,
    );
    for (const parts of [
      ["/"],
      ["/", "kpm"],
      ["/a/", "b"],
      ["a", ""],
      ["", "a"],
      ["/a", "./b"],
      ["/a", "b/.."],
    ])
      expect(join(...parts)).toBe(nodePath.join(...parts));
  });

  test("resolve, from this working directory", () => {
    fc.assert(
      fc.property(pieces, (parts) => expect(resolve(...parts)).toBe(nodePath.resolve(...parts))),
      RUNS,
    );
    for (const parts of [["a"], ["/x", "a"], ["/x", "/y", "b"], ["/x/", "b"], ["/x", ""], ["/"]])
      expect(resolve(...parts)).toBe(nodePath.resolve(...parts));
  });

  test("dirname and isAbsolute", () => {
    fc.assert(
      fc.property(piece, (path) => {
        expect(dirname(path)).toBe(nodePath.dirname(path));
        expect(posixDirname(path)).toBe(nodePath.posix.dirname(path));
        expect(isAbsolute(path)).toBe(nodePath.isAbsolute(path));
      }),
      RUNS,
    );
    for (const path of ["", "/", "//", "///", "a", "/a", "//a", "a/", "a/b", "a/b/", "/tmp/kpm-0/s1.sock"])
      expect(dirname(path)).toBe(nodePath.dirname(path));
  });

  test("basename, relative and sep", () => {
    expect(sep).toBe(nodePath.sep);
    fc.assert(
      fc.property(piece, (path) => expect(basename(path)).toBe(nodePath.basename(path))),
      RUNS,
    );
    const absolute = fc.oneof(
      piece.map((path) => `/${path}`),
      fc.array(fc.constantFrom("a", "b", "bc", ".."), { maxLength: 4 }).map((parts) => `/${parts.join("/")}`),
    );
    fc.assert(
      fc.property(absolute, absolute, (from, to) =>
        expect(relative(from, to)).toBe(nodePath.relative(from, to)),
      ),
      RUNS,
    );
    for (const [from, to] of [
      ["/a/b", "/a/b"],
      ["/a", "/a/b/c"],
      ["/a/b", "/a/c"],
      ["/a/b/c", "/x"],
      ["/ab", "/a"],
    ])
      expect(relative(from as string, to as string)).toBe(nodePath.relative(from as string, to as string));
  });

  test("isCleanAbsolute: exactly the absolute paths node:path leaves as they are", () => {
    fc.assert(
      fc.property(piece, (path) => {
        if (isCleanAbsolute(path)) expect(nodePath.resolve(path)).toBe(path);
      }),
      RUNS,
    );
    for (const path of ["/", "/a/", "//a", "/a/./b", "/a/../b", "a", ""])
      expect(isCleanAbsolute(path)).toBe(false);
    expect(isCleanAbsolute("/home/me/.config/kpm")).toBe(true);
  });
});

describe.if(process.platform !== "win32")("node:path stays unloaded", () => {
  async function loadedAfter(script: string): Promise<boolean> {
    const child = Bun.spawn(
      [
        process.execPath,
        "-e",
        `import * as p from "@kpm/deferred/path"; import { loadedBuiltins } from "@kpm/deferred";
         ${script}; console.log(JSON.stringify(loadedBuiltins().includes("node:path")));`,
      ],
      { cwd: import.meta.dir, stdout: "pipe", stderr: "inherit" },
    );
    const [out, code] = await Promise.all([new Response(child.stdout).text(), child.exited]);
    expect(code).toBe(0);
    return JSON.parse(out) as boolean;
  }

  test("for paths in normal form, and loaded for the others", async () => {
    const clean = `p.join("/home/me", ".config", "kpm"); p.resolve("/srv/app", "a.template");
      p.join("/", ".kpm", "config.yaml"); p.resolve("/", "x"); p.relative("/", "/a/b");
      p.resolve("x"); p.dirname("/a/b"); p.isAbsolute("/a")`;
    expect(await loadedAfter(clean)).toBe(false);
    expect(await loadedAfter(`p.join("/home/me/", "kpm")`)).toBe(true);
    expect(await loadedAfter(`p.resolve("/srv", "../x")`)).toBe(true);
  });
});
