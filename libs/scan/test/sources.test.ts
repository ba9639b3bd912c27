import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { buildCorpus } from "../../../test/fixtures/secret-corpus.ts";
import {
  agentLocations,
  historyFiles,
  NotAWorkTreeError,
  otherProcessEnvironments,
  scanEnvironments,
  scanStaged,
} from "../src/index.ts";

const corpus = buildCorpus();
const github = corpus.planted.find((planted) => planted.kind === "github-token")?.value ?? "";
let home: string;

beforeAll(() => {
  home = mkdtempSync(join(tmpdir(), "kpm-sources-"));
});
afterAll(() => rmSync(home, { recursive: true, force: true }));

describe("historyFiles and agentLocations", () => {
  test("only the files that exist, $HISTFILE first", () => {
    writeFileSync(join(home, ".bash_history"), `export GITHUB_TOKEN=${github}\n`);
    writeFileSync(join(home, "custom_history"), "ls\n");
    expect(historyFiles(home, join(home, "custom_history"))).toEqual([
      join(home, "custom_history"),
      join(home, ".bash_history"),
    ]);
    expect(historyFiles(join(home, "nowhere"))).toEqual([]);
  });

  test("agent configs and transcript folders, project and user level", () => {
    const project = join(home, "proj");
    mkdirSync(join(project, ".cursor"), { recursive: true });
    writeFileSync(join(project, ".mcp.json"), "{}");
    writeFileSync(join(project, ".cursor/mcp.json"), "{}");
    writeFileSync(join(home, ".claude.json"), "{}");
    mkdirSync(join(home, ".claude/projects/x"), { recursive: true });
    mkdirSync(join(home, ".codex"), { recursive: true });
    writeFileSync(join(home, ".codex/sessions"), "not a folder");
    expect(agentLocations(home, project)).toEqual({
      files: [join(project, ".mcp.json"), join(project, ".cursor/mcp.json"), join(home, ".claude.json")],
      folders: [join(home, ".claude/projects")],
    });
  });
});

describe("environments", () => {
  test("own variables are labelled env:NAME; other processes pid:<pid>(<command>):NAME", async () => {
    const findings = await scanEnvironments({ DEPLOY: github, EMPTY: "", UNSET: undefined, PORT: "8080" }, [
      { pid: 42, command: "node", entries: [`GH=${github}`, "HOME=/root"] },
    ]);
    expect(findings.map((finding) => `${finding.file}:${finding.column}`)).toEqual([
      "env:DEPLOY:8",
      "pid:42(node):GH:4",
    ]);
  });

  test("a child this user started shows up with its start-up environment", () => {
    const child = Bun.spawn(["sleep", "30"], { env: { PLANTED_TOKEN: github } });
    try {
      // Until the child has exec'd, /proc shows the forked runner: wait for sleep (bounded).
      const find = () => otherProcessEnvironments().find((environment) => environment.pid === child.pid);
      let found = find();
      for (let tries = 0; found?.command !== "sleep" && tries < 50; tries++) {
        Bun.sleepSync(20);
        found = find();
      }
      expect(found?.command).toBe("sleep");
      expect(found?.entries).toContain(`PLANTED_TOKEN=${github}`);
      expect(otherProcessEnvironments().some((environment) => environment.pid === process.pid)).toBe(false);
    } finally {
      child.kill();
    }
  });

  test("no /proc: no environments", () => {
    expect(otherProcessEnvironments(join(home, "no-proc"))).toEqual([]);
  });

  test("a /proc entry that cannot be read is skipped", () => {
    const proc = join(home, "proc");
    mkdirSync(join(proc, "123"), { recursive: true });
    mkdirSync(join(proc, "self"), { recursive: true });
    expect(otherProcessEnvironments(proc)).toEqual([]);
  });
});

describe("scanStaged", () => {
  test("the index's content: staged files only, binaries skipped", async () => {
    const repo = join(home, "repo");
    mkdirSync(repo);
    const git = (...args: string[]) =>
      Bun.spawnSync(["git", ...args], { cwd: repo, stdout: "ignore", stderr: "ignore" });
    git("init", "-q");
    writeFileSync(join(repo, "a.env"), `GITHUB_TOKEN=${github}\n`);
    writeFileSync(join(repo, "b.bin"), Buffer.from([1, 0, 2]));
    writeFileSync(join(repo, "c.env"), `GITHUB_TOKEN=${github}\n`);
    git("add", "a.env", "b.bin");
    const { findings, stats } = await scanStaged(repo);
    expect(findings.map((finding) => finding.file)).toEqual(["a.env"]);
    expect(stats).toMatchObject({ files: 1, skippedBinary: 1 });
  });

  test("outside a work tree it throws NotAWorkTreeError", async () => {
    const outside = join(home, "plain");
    mkdirSync(outside);
    await expect(scanStaged(outside)).rejects.toBeInstanceOf(NotAWorkTreeError);
  });
});
