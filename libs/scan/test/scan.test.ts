import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { buildCorpus } from "../../../test/fixtures/secret-corpus.ts";
import { displayPath, listFiles, MAX_FILE_BYTES, readTextFile, scanFiles, scanText } from "../src/index.ts";

const corpus = buildCorpus();
let root: string;

function git(...args: string[]): void {
  const result = Bun.spawnSync(["git", ...args], { cwd: root, stdout: "ignore", stderr: "pipe" });
  if (result.exitCode !== 0) throw new Error(result.stderr.toString());
}

beforeAll(() => {
  root = mkdtempSync(join(tmpdir(), "kpm-scan-"));
  for (const [name, content] of Object.entries(corpus.files)) {
    mkdirSync(join(root, name, ".."), { recursive: true });
    writeFileSync(join(root, name), content);
  }
  mkdirSync(join(root, "ignored"));
  writeFileSync(join(root, "ignored/secret.env"), corpus.files[".env"] ?? "");
  writeFileSync(join(root, ".gitignore"), "ignored/\n");
  writeFileSync(
    join(root, "image.bin"),
    Buffer.concat([Buffer.from([0x89, 0x50, 0, 0]), Buffer.from(corpus.files[".env"] ?? "")]),
  );
});

afterAll(() => rmSync(root, { recursive: true, force: true }));

describe("listFiles", () => {
  test("outside git: every file, .git skipped", () => {
    mkdirSync(join(root, "plain/.git"), { recursive: true });
    writeFileSync(join(root, "plain/.git/config"), "x");
    writeFileSync(join(root, "plain/a.txt"), "x");
    expect(listFiles(join(root, "plain")).map((path) => displayPath(path, root))).toEqual(["plain/a.txt"]);
    rmSync(join(root, "plain"), { recursive: true });
  });

  test("in a git work tree: .gitignore is honoured, unless noIgnore", () => {
    git("init", "-q");
    const listed = listFiles(root).map((path) => displayPath(path, root));
    expect(listed).toContain(".env");
    expect(listed).toContain(".gitignore");
    expect(listed.some((path) => path.startsWith("ignored/"))).toBe(false);
    const all = listFiles(root, { noIgnore: true }).map((path) => displayPath(path, root));
    expect(all).toContain("ignored/secret.env");
    expect(all.some((path) => path.startsWith(".git/"))).toBe(false);
    rmSync(join(root, ".git"), { recursive: true });
  });

  test("a file is listed as itself", () => {
    expect(listFiles(join(root, ".env"))).toEqual([join(root, ".env")]);
  });

  test("displayPath keeps paths outside the working directory absolute", () => {
    expect(displayPath("/etc/hosts", root)).toBe("/etc/hosts");
    expect(displayPath(root, root)).toBe(root);
  });
});

describe("scanFiles", () => {
  test("finds the corpus, skips binaries, counts files", async () => {
    const paths = listFiles(root, { noIgnore: true });
    const { findings, stats } = await scanFiles(
      paths.map((path) => ({ path, label: displayPath(path, root) })),
    );
    expect(stats.skippedBinary).toBe(1);
    expect(stats.files).toBe(paths.length - 1);
    for (const planted of corpus.planted)
      expect(findings.some((f) => f.file === planted.file && f.line === planted.line)).toBe(true);
    expect(findings.some((f) => f.file === "image.bin")).toBe(false);
  });

  test("oversized and unreadable files are skipped and counted", async () => {
    const large = join(root, "large.txt");
    writeFileSync(large, Buffer.alloc(MAX_FILE_BYTES + 1, 0x61));
    expect(readTextFile(large)).toEqual({ skipped: "large" });
    const missing = join(root, "missing.txt");
    const { stats } = await scanFiles([
      { path: large, label: "large.txt" },
      { path: missing, label: "missing.txt" },
    ]);
    expect(stats).toMatchObject({ skippedLarge: 1, unreadable: 1, files: 0 });
    rmSync(large);
  });

  test("a directory read as a file is unreadable, not a crash", () => {
    expect(readTextFile(root)).toEqual({ skipped: "unreadable" });
  });

  test("a file that cannot be opened is unreadable", () => {
    if (process.getuid?.() === 0) return; // root opens anything; the missing-file case covers open errors
    const locked = join(root, "locked.txt");
    writeFileSync(locked, "x");
    chmodSync(locked, 0);
    expect(readTextFile(locked)).toEqual({ skipped: "unreadable" });
    rmSync(locked);
  });

  test("scanText labels findings with the given name", async () => {
    const github = corpus.planted.find((p) => p.kind === "github-token")?.value ?? "";
    const findings = await scanText("env:GITHUB_TOKEN", `GITHUB_TOKEN=${github}`);
    expect(findings.map((f) => f.file)).toEqual(["env:GITHUB_TOKEN"]);
  });
});
