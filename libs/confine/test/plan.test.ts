// The planner against a fake tree: every denied path is unreachable through the rules, every
// other entry is reachable, and symbolic links cannot smuggle a denied path back in.
import { describe, expect, test } from "bun:test";
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { canonicalPath, type FileSystemView, nodeFileSystem, planConfinement } from "@kpm/confine";

/** A tree of directories (objects), files (strings) and symbolic links ({ link: target }). */
type Node = { [name: string]: Node | string | { link: string } };

function fakeFs(tree: Node): FileSystemView {
  const lookup = (path: string, depth = 0): { real: string; node: Node | string } | null => {
    if (depth > 20) return null;
    let node: Node | string = tree;
    let real = "/";
    for (const part of path.split("/").filter(Boolean)) {
      if (typeof node === "string") return null;
      const next: Node | string | { link: string } | undefined = node[part];
      if (next === undefined) return null;
      if (typeof next === "object" && "link" in next && typeof next.link === "string") {
        const target = next.link.startsWith("/") ? next.link : join(real, next.link);
        const resolved = lookup(target, depth + 1);
        if (!resolved) return null;
        ({ real, node } = resolved);
      } else {
        node = next as Node | string;
        real = join(real, part);
      }
    }
    return { real, node };
  };
  return {
    realpath: (path) => lookup(path)?.real ?? null,
    list: (directory) => {
      const found = lookup(directory);
      return found && typeof found.node === "object" ? Object.keys(found.node) : null;
    },
  };
}

const tree: Node = {
  usr: { bin: { sh: "" } },
  tmp: { "kpm-1000": { "s.sock": "" }, scratch: {} },
  bin: { link: "/usr/bin" },
  home: {
    other: {},
    u: {
      ".bashrc": "",
      project: { ".env.template": "" },
      ".config": { kpm: { "config.yaml": "" }, git: {} },
      ".local": { share: { kpm: { certs: {} }, other: {} } },
      ".agentkms": { dev: {} },
      "sneaky-link": { link: "/home/u/.config/kpm" },
      "home-link": { link: "/home/u" },
      dangling: { link: "/nowhere" },
      "git-link": { link: ".config/git" },
    },
  },
};

const fs = fakeFs(tree);
const denied = [
  "/home/u/.config/kpm",
  "/home/u/.local/share/kpm",
  "/home/u/.agentkms",
  "/home/u/.cache/kpm-missing",
];

describe("planConfinement", () => {
  const plan = planConfinement({ denied, deniedIfFree: ["/tmp/kpm-1000"] }, fs);
  const full = plan.rules.filter((rule) => rule.access === "full").map((rule) => rule.path);
  const list = plan.rules.filter((rule) => rule.access === "list").map((rule) => rule.path);

  test("ancestors of denied paths are listable only; their other entries get full access", () => {
    expect(list).toEqual([
      "/",
      "/home",
      "/home/u",
      "/home/u/.cache",
      "/home/u/.config",
      "/home/u/.local",
      "/home/u/.local/share",
    ]);
    expect(full.sort()).toEqual(
      [
        "/usr",
        "/tmp",
        "/usr/bin",
        "/home/other",
        "/home/u/.bashrc",
        "/home/u/project",
        "/home/u/.config/git",
        "/home/u/.local/share/other",
      ].sort(),
    );
  });

  test("no rule reaches a denied path, through a symbolic link or otherwise", () => {
    for (const rule of plan.rules.filter((item) => item.access === "full"))
      for (const path of plan.denied) expect(path.startsWith(rule.path)).toBe(false);
    expect(full).not.toContain("/home/u");
  });

  test("a path that must not cost its parent file creation is left exposed when the parent is free", () => {
    expect(plan.denied).toEqual([...denied].sort());
    expect(plan.exposed).toEqual(["/tmp/kpm-1000"]);
  });

  test("…and denied when the parent is restricted anyway", () => {
    const inTmp = planConfinement({ denied: ["/tmp/scratch/kpm"], deniedIfFree: ["/tmp/kpm-1000"] }, fs);
    expect(inTmp.denied).toEqual(["/tmp/kpm-1000", "/tmp/scratch/kpm"]);
    expect(inTmp.exposed).toEqual([]);
    expect(inTmp.rules).not.toContainEqual({ path: "/tmp/kpm-1000", access: "full" });
  });

  test("a deniedIfFree path inside a denied one adds nothing", () => {
    const nested = planConfinement(
      { denied: ["/home/u/.config/kpm"], deniedIfFree: ["/home/u/.config/kpm/run"] },
      fs,
    );
    expect(nested.denied).toEqual(["/home/u/.config/kpm"]);
    expect(nested.exposed).toEqual([]);
  });

  test("nested denied paths collapse into the outer one; nothing denied means no rules", () => {
    const nested = planConfinement({ denied: ["/home/u/.agentkms/dev", "/home/u/.agentkms"] }, fs);
    expect(nested.denied).toEqual(["/home/u/.agentkms"]);
    expect(planConfinement({ denied: [] }, fs)).toEqual({ rules: [], denied: [], exposed: [] });
  });

  test("a denied path reached through a symbolic link is denied at its target", () => {
    const linked = planConfinement({ denied: ["/home/u/sneaky-link"] }, fs);
    expect(linked.denied).toEqual(["/home/u/.config/kpm"]);
  });
});

describe("canonicalPath", () => {
  test("resolves the existing part and keeps the missing rest", () => {
    expect(canonicalPath("/home/u/git-link/sub/file", fs)).toBe("/home/u/.config/git/sub/file");
    expect(canonicalPath("/", fs)).toBe("/");
    expect(canonicalPath("/nothing/here", fs)).toBe("/nothing/here");
  });
});

describe("nodeFileSystem", () => {
  test("realpath and list on the real filesystem; null where nothing is", () => {
    const root = mkdtempSync(join(tmpdir(), "kpm-confine-"));
    try {
      mkdirSync(join(root, "dir"));
      writeFileSync(join(root, "dir", "file"), "");
      symlinkSync(join(root, "dir"), join(root, "link"));
      const real = nodeFileSystem();
      const canonicalRoot = real.realpath(root) as string;
      expect(real.realpath(join(root, "link"))).toBe(join(canonicalRoot, "dir"));
      expect(real.realpath(join(root, "missing"))).toBeNull();
      expect(real.list(join(root, "dir"))).toEqual(["file"]);
      expect(real.list(join(root, "missing"))).toBeNull();
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });
});
