// End to end: `kpm scan` over the planted corpus (source and compiled binary) and the `kpm import`
// round trip through the compiled binary and a real dev server: .env → registry + template →
// `kpm run` gives the child the values the .env had. Every output is grepped for every value.
// biome-ignore-all lint/suspicious/noTemplateCurlyInString: references are spelled ${kms:…} literally
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { dirname, join, relative } from "node:path";
import { buildCorpus, secretValues } from "./fixtures/secret-corpus.ts";
import {
  type Fixture,
  type KpmResult,
  parseEnvLines,
  REPO_ROOT,
  runKpmProcess,
  startFixture,
} from "./helpers/kpm-env.ts";

const corpus = buildCorpus();
const values = secretValues(corpus);
let fixture: Fixture;
let project: string;

function kpm(args: string[], opts: { binary?: boolean; cwd?: string; env?: Record<string, string> } = {}) {
  return runKpmProcess(args, {
    env: { ...fixture.sandbox.env, ...opts.env },
    cwd: opts.cwd ?? fixture.sandbox.home,
    binary: opts.binary,
  });
}

function expectNoValue(result: KpmResult | string): void {
  const text = typeof result === "string" ? result : `${result.stdout}\n${result.stderr}`;
  for (const value of values) expect(text.includes(value)).toBe(false);
}

beforeAll(async () => {
  fixture = await startFixture();
  project = join(fixture.sandbox.home, "proj");
  for (const [name, content] of Object.entries(corpus.files)) {
    mkdirSync(dirname(join(project, name)), { recursive: true });
    writeFileSync(join(project, name), content);
  }
});

afterAll(async () => {
  await fixture.close();
});

describe("kpm scan", () => {
  for (const binary of [false, true]) {
    test(`${binary ? "compiled" : "source"}: finds every planted secret, no look-alike, no value printed`, async () => {
      const result = await kpm(["scan", "proj"], { binary });
      expect(result.code).toBe(1);
      expectNoValue(result);
      const lines = result.stdout.trim().split("\n");
      for (const planted of corpus.planted)
        expect(lines.some((line) => line.startsWith(`proj/${planted.file}:${planted.line}:`))).toBe(true);
      for (const file of corpus.lookalikeFiles) expect(result.stdout).not.toContain(`proj/${file}:`);
      expect(lines.length).toBe(corpus.planted.length);
      expect(result.stderr).toBe(
        `kpm scan: ${corpus.planted.length} findings in ${Object.keys(corpus.files).length} files\n`,
      );
    });
  }

  test("recall: every location secretlint's own CLI reports on the corpus, kpm scan reports too", async () => {
    const config = join(fixture.sandbox.tmp, "secretlintrc.json");
    writeFileSync(
      config,
      JSON.stringify({ rules: [{ id: "@secretlint/secretlint-rule-preset-recommend" }] }),
    );
    const cli = Bun.spawnSync(
      [
        join(REPO_ROOT, "node_modules/.bin/secretlint"),
        "--secretlintrc",
        config,
        "--format",
        "json",
        "**/*",
        ".*",
      ],
      { cwd: project, stdout: "pipe", stderr: "pipe", env: fixture.sandbox.env },
    );
    const results = JSON.parse(cli.stdout.toString()) as Array<{
      filePath: string;
      messages: Array<{ loc: { start: { line: number } } }>;
    }>;
    const theirs = results.flatMap((result) =>
      result.messages.map(
        (message) => `proj/${relative(project, result.filePath)}:${message.loc.start.line}:`,
      ),
    );
    // secretlint flags the ghp_xxxx… placeholder among the look-alikes; kpm lets it pass on purpose.
    const onLookalikes = theirs.filter((location) => location.startsWith("proj/lookalikes/"));
    expect(onLookalikes).toEqual(["proj/lookalikes/settings.env:4:"]);
    const real = theirs.filter((location) => !onLookalikes.includes(location));
    expect(real.length).toBeGreaterThanOrEqual(8);
    const ours = (await kpm(["scan", "proj"])).stdout;
    for (const location of real)
      expect({ location, found: ours.includes(location) }).toEqual({ location, found: true });
  });

  test("--json and --sarif carry the same findings, redacted; --exit-zero exits 0", async () => {
    const json = await kpm(["scan", "proj", "--json"]);
    expect(json.code).toBe(1);
    expectNoValue(json);
    const parsed = JSON.parse(json.stdout) as { findings: Array<{ file: string; preview: string }> };
    expect(parsed.findings.length).toBe(corpus.planted.length);
    const sarif = await kpm(["scan", "proj", "--sarif", "--exit-zero"]);
    expect(sarif.code).toBe(0);
    expectNoValue(sarif);
    const log = JSON.parse(sarif.stdout) as { version: string; runs: Array<{ results: unknown[] }> };
    expect(log.version).toBe("2.1.0");
    expect(log.runs[0]?.results.length).toBe(corpus.planted.length);
  });

  test("a clean tree exits 0; a missing path is one error line", async () => {
    const clean = await kpm(["scan", "proj/lookalikes"]);
    expect(clean).toEqual({ code: 0, stdout: "", stderr: "kpm scan: 0 findings in 3 files\n" });
    const missing = await kpm(["scan", "nope"]);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toBe("kpm scan: nope: no such file or directory\n");
    const both = await kpm(["scan", "--json", "--sarif"]);
    expect(both.code).toBe(2);
  });

  test("--staged reads what is staged, not the work tree", async () => {
    const repo = join(fixture.sandbox.home, "repo");
    mkdirSync(repo);
    const git = (...args: string[]) =>
      Bun.spawnSync(["git", "-c", "user.email=t@t", "-c", "user.name=t", ...args], { cwd: repo });
    git("init", "-q");
    writeFileSync(join(repo, "app.env"), corpus.files[".env"] ?? "");
    writeFileSync(join(repo, "clean.txt"), "hello\n");
    git("add", "clean.txt");
    const onlyClean = await kpm(["scan", "--staged"], { cwd: repo });
    expect(onlyClean.code).toBe(0);
    git("add", "app.env");
    const staged = await kpm(["scan", "--staged"], { cwd: repo });
    expect(staged.code).toBe(1);
    expectNoValue(staged);
    expect(staged.stdout).toContain("app.env:5:14  secretlint/github/GITHUB_TOKEN  ghp_…(40 chars)");
    const outside = await kpm(["scan", "--staged"], { cwd: fixture.sandbox.tmp });
    expect(outside).toMatchObject({ code: 1, stderr: "kpm scan: --staged needs a git work tree\n" });
  });

  test("scan env names the variable, and this user's other processes by pid and command", async () => {
    const github = corpus.planted.find((planted) => planted.kind === "github-token")?.value ?? "";
    const gitlab = corpus.planted.find((planted) => planted.kind === "gitlab-token")?.value ?? "";
    const child = Bun.spawn(["sleep", "30"], { env: { PLANTED_TOKEN: gitlab } });
    try {
      // /proc shows the forked runner until the child has exec'd sleep (bounded wait).
      const comm = () =>
        existsSync(`/proc/${child.pid}/comm`) ? readFileSync(`/proc/${child.pid}/comm`, "utf8") : "";
      for (let tries = 0; comm() !== "sleep\n" && tries < 50; tries++) Bun.sleepSync(20);
      const result = await kpm(["scan", "env"], { binary: true, env: { DEPLOY_TOKEN: github } });
      expect(result.code).toBe(1);
      expectNoValue(result);
      expect(result.stdout).toContain(
        "env:DEPLOY_TOKEN:1:14  secretlint/github/GITHUB_TOKEN  ghp_…(40 chars)\n",
      );
      expect(result.stdout).toContain(
        `pid:${child.pid}(sleep):PLANTED_TOKEN:1:15  secretlint/gitlab/GITLAB_PERSONAL_ACCESS_TOKEN  glpa…(26 chars)\n`,
      );
    } finally {
      child.kill();
    }
  });

  test("scan history and scan agents read the places agents look", async () => {
    const github = corpus.planted.find((planted) => planted.kind === "github-token")?.value ?? "";
    const home = fixture.sandbox.home;
    writeFileSync(join(home, ".bash_history"), `ls\nexport GITHUB_TOKEN=${github}\n`);
    const history = await kpm(["scan", "history"]);
    expect(history.code).toBe(1);
    expectNoValue(history);
    expect(history.stdout).toBe(".bash_history:2:21  secretlint/github/GITHUB_TOKEN  ghp_…(40 chars)\n");

    writeFileSync(join(home, ".claude.json"), corpus.files[".mcp.json"] ?? "");
    mkdirSync(join(home, ".claude/projects/p"), { recursive: true });
    writeFileSync(
      join(home, ".claude/projects/p/t.jsonl"),
      `${JSON.stringify({ text: `token ${github}` })}\n`,
    );
    const agents = await kpm(["scan", "agents"], { cwd: project });
    expect(agents.code).toBe(1);
    expectNoValue(agents);
    const files = agents.stdout
      .trim()
      .split("\n")
      .map((line) => line.slice(0, line.indexOf(":")));
    expect(files).toEqual([".mcp.json", `${home}/.claude.json`, `${home}/.claude/projects/p/t.jsonl`]);
  });
});

describe("kpm import (compiled binary, dev server)", () => {
  const envFile = () => join(project, ".env");

  test("dry run prints the plan and changes nothing", async () => {
    const result = await kpm(["import", "proj/.env"], { binary: true });
    expect(result.code).toBe(0);
    expectNoValue(result);
    expect(result.stdout).toContain(
      "store  GITHUB_TOKEN → proj/github-token  (secretlint/github/GITHUB_TOKEN) new\n",
    );
    expect(result.stdout).toContain("keep   PORT\n");
    expect(result.stderr).toBe("kpm import: dry run, nothing changed; run again with --yes to apply\n");
    expect(existsSync(`${envFile()}.template`)).toBe(false);
    const list = await kpm(["list", "--json"], { binary: true });
    expect(list.stdout).not.toContain("proj/");
  });

  test(".env → registry + template → kpm run gives the child the same values; a second import changes nothing", async () => {
    const applied = await kpm(["import", "proj/.env", "--yes"], { binary: true });
    expect(applied.code).toBe(0);
    expectNoValue(applied);
    expect(applied.stderr).toBe("kpm import: stored 7 secrets, 0 already there\n");
    const template = readFileSync(`${envFile()}.template`, "utf8");
    expectNoValue(template);
    expect(template).toContain("GITHUB_TOKEN=${kms:proj/github-token}\n");
    expect(template).toContain("PORT=8080\n");
    expect(template).toContain("# primary\nDB_HOST=db.internal\n");

    const run = await kpm(["run", "--from", "proj/.env.template", "--no-masking", "--", "env"], {
      binary: true,
    });
    expect(run.code).toBe(0);
    const childEnv = parseEnvLines(run.stdout);
    const original = parseEnvLines(corpus.files[".env"] ?? "");
    for (const [name, value] of Object.entries(original))
      expect({ name, value: childEnv[name] }).toEqual({
        name,
        // dotenv semantics: one pair of quotes and a " # comment" are not part of the value
        value: value.replace(/\s+#.*$/, "").replace(/^"(.*)"$/, "$1"),
      });
    expect(childEnv.DB_HOST).toBe("db.internal");

    const again = await kpm(["import", "proj/.env", "--yes"], { binary: true });
    expect(again.code).toBe(0);
    expect(again.stdout).toContain(
      "store  GITHUB_TOKEN → proj/github-token  (secretlint/github/GITHUB_TOKEN) unchanged\n",
    );
    expect(again.stdout).toContain(`write  ${envFile()}.template unchanged\n`);
    expect(again.stderr).toBe("kpm import: stored 0 secrets, 7 already there\n");
  });

  test("--rewrite replaces the values in the source and keeps a 0600 backup", async () => {
    const original = readFileSync(envFile(), "utf8");
    const result = await kpm(["import", "proj/.env", "--rewrite", "--yes"], { binary: true });
    expect(result.code).toBe(0);
    expectNoValue(readFileSync(envFile(), "utf8"));
    expect(readFileSync(envFile(), "utf8")).toBe(readFileSync(`${envFile()}.template`, "utf8"));
    expect(readFileSync(`${envFile()}.kpm-backup`, "utf8")).toBe(original);
    expect(statSync(`${envFile()}.kpm-backup`).mode & 0o777).toBe(0o600);
    const again = await kpm(["import", "proj/.env", "--rewrite", "--yes"], { binary: true });
    expect(again.code).toBe(0);
    expect(again.stdout).toContain("rewrite");
    expect(again.stdout).toContain("unchanged");
  });

  test("a different value under an existing path is a conflict, refused without --force", async () => {
    const other = join(fixture.sandbox.home, "other");
    mkdirSync(other);
    writeFileSync(join(other, "app.env"), "DB_PASSWORD=first-value\n");
    expect((await kpm(["import", "other/app.env", "--yes"], { binary: true })).code).toBe(0);
    writeFileSync(join(other, "app.env"), "DB_PASSWORD=second-value\n");
    const conflict = await kpm(["import", "other/app.env", "--yes"], { binary: true });
    expect(conflict.code).toBe(1);
    expect(conflict.stderr).toContain("kpm import: other/db-password already holds a different value\n");
    expect(conflict.stderr).not.toContain("second-value");
    const forced = await kpm(["import", "other/app.env", "--yes", "--force"], { binary: true });
    expect(forced.code).toBe(0);
  });

  test("--from-scan imports the lines a scan report names, and only those", async () => {
    const folder = join(fixture.sandbox.home, "svc");
    mkdirSync(folder);
    const github = corpus.planted.find((planted) => planted.kind === "github-token")?.value ?? "";
    writeFileSync(join(folder, "app.env"), `PORT=1\nGITHUB_TOKEN=${github}\nDB_PASSWORD=not-in-report\n`);
    const scan = await kpm(["scan", "svc", "--sarif"], { binary: true });
    writeFileSync(join(fixture.sandbox.home, "scan.sarif"), scan.stdout);
    const result = await kpm(["import", "--from-scan", "scan.sarif", "--yes"], { binary: true });
    expect(result.code).toBe(0);
    expectNoValue(result);
    expect(result.stdout).toBe(
      [
        "store  GITHUB_TOKEN → svc/github-token  (secretlint/github/GITHUB_TOKEN) new",
        "keep   PORT",
        "keep   DB_PASSWORD",
        `write  ${join(folder, "app.env")}.template`,
        "",
      ].join("\n"),
    );
    expect(readFileSync(join(folder, "app.env.template"), "utf8")).toBe(
      "PORT=1\nGITHUB_TOKEN=${kms:svc/github-token}\nDB_PASSWORD=not-in-report\n",
    );
    const bad = await kpm(["import", "--from-scan", "svc/app.env"]);
    expect(bad).toMatchObject({
      code: 1,
      stderr: "kpm import: svc/app.env: not JSON (expected kpm scan --json or --sarif output)\n",
    });
    const both = await kpm(["import", "svc/app.env", "--from-scan", "scan.sarif"]);
    expect(both.code).toBe(2);
  });

  test("bad input: no file, a missing file, a reserved service", async () => {
    expect((await kpm(["import"])).code).toBe(2);
    const missing = await kpm(["import", "nope.env"]);
    expect(missing).toMatchObject({
      code: 1,
      stderr: "kpm import: read nope.env: no such file or directory\n",
    });
    const reserved = await kpm(["import", "other/app.env", "--service", "llm"]);
    expect(reserved.code).toBe(1);
    expect(reserved.stderr).toContain('kpm import: "llm" cannot be the service of registry secrets');
  });
});
