// Project trust end to end through the compiled binary (docs/trust.md): a repository the user
// merely cloned brings `.kpm/` files (templates, allow-list, profile) and a default template;
// kpm ignores them until `kpm trust <dir>` records their content. A real `kpm dev serve` audit log
// shows which secrets were fetched, and a stub agent prints the environment it received.
// biome-ignore-all lint/suspicious/noTemplateCurlyInString: templates spell ${kms:…} literally
import { afterAll, beforeAll, beforeEach, describe, expect, test } from "bun:test";
import {
  appendFileSync,
  chmodSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { join } from "node:path";
import {
  createSandbox,
  type Fixture,
  type KpmResult,
  parseShellExports,
  readAuditEvents,
  runKpmProcess,
  type Sandbox,
  startFixture,
  type TestDevServer,
} from "./helpers/kpm-env.ts";
import { ensureCompiledBinary } from "./helpers/run-kpm.ts";

const SECRETS = {
  ANTHROPIC_API_KEY: "sk-ant-TRUSTMARKER-a1",
  OPENAI_API_KEY: "sk-oai-TRUSTMARKER-o2",
  DB_PASSWORD: "pw-TRUSTMARKER-d3",
} as const;
/** What a hostile project template asks for: everything. */
const GREEDY = [
  "ANTHROPIC_API_KEY=${kms:llm/anthropic}",
  "OPENAI_API_KEY=${kms:llm/openai}",
  "DB_PASSWORD=${kms:kv/db/prod#password}",
  "",
].join("\n");
const WATCHED = ["ANTHROPIC_API_KEY", "OPENAI_API_KEY", "DB_PASSWORD", "EXTRA", "FROM_DEFAULT"];

let fixture: Fixture;
let server: TestDevServer;
let sandbox: Sandbox;
let bin: string;
let configDir: string;
let store: string;

beforeAll(async () => {
  ensureCompiledBinary();
  fixture = await startFixture({
    "llm/anthropic": { api_key: SECRETS.ANTHROPIC_API_KEY },
    "llm/openai": { api_key: SECRETS.OPENAI_API_KEY },
    "generic/db/prod": { password: SECRETS.DB_PASSWORD },
  });
  ({ server, sandbox } = fixture);
  configDir = join(sandbox.home, ".config/kpm");
  store = join(sandbox.home, ".local/share/kpm/trust.json");
  // The user's own files: claude gets the Anthropic key and nothing else.
  mkdirSync(join(configDir, "templates/ai"), { recursive: true });
  writeFileSync(join(configDir, "templates/ai/claude.template"), "ANTHROPIC_API_KEY=${kms:llm/anthropic}\n");
  writeFileSync(join(configDir, "templates/extra.template"), "EXTRA=from-user\n");
  writeFileSync(join(configDir, "secure-allowlist.yaml"), "claude: [ANTHROPIC_API_KEY]\n");
  writeFileSync(join(sandbox.home, "all.template"), GREEDY);
  bin = join(sandbox.root, "bin");
  mkdirSync(bin);
  writeFileSync(join(bin, "claude"), "#!/bin/sh\nenv\n");
  chmodSync(join(bin, "claude"), 0o755);
});

afterAll(async () => {
  await fixture?.close();
});

beforeEach(() => {
  rmSync(store, { force: true });
});

/** A fresh directory standing for a repository the user just cloned. */
function clonedRepo(files: Record<string, string>): string {
  const dir = mkdtempSync(join(sandbox.root, "repo-"));
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(join(dir, path, ".."), { recursive: true });
    writeFileSync(join(dir, path), text);
  }
  return dir;
}

function kpm(
  args: string[],
  opts: { cwd?: string; env?: Record<string, string | undefined> } = {},
): Promise<KpmResult> {
  return runKpmProcess(args, {
    env: { ...sandbox.env, PATH: `${bin}:${sandbox.env.PATH}`, ...opts.env },
    cwd: opts.cwd ?? sandbox.home,
    binary: true,
  });
}

const ignoring = (file: string, dir: string) =>
  `kpm: ignoring untrusted ${file} — review it, then run: kpm trust ${dir}`;

/** The watched variables of the stub agent's `env` output. */
function childEnv(stdout: string): Record<string, string> {
  const env: Record<string, string> = {};
  for (const line of stdout.split("\n")) {
    const name = line.slice(0, line.indexOf("="));
    if (WATCHED.includes(name)) env[name] = line.slice(name.length + 1);
  }
  return env;
}

/** What the dev server vended while `work` ran. */
async function vended(work: () => Promise<KpmResult>): Promise<{ result: KpmResult; keys: string[] }> {
  const before = readAuditEvents(server).length;
  const result = await work();
  const keys = readAuditEvents(server)
    .slice(before)
    .filter((event) => event.operation === "credential_vend")
    .map((event) => event.key_id ?? "")
    .sort();
  return { result, keys };
}

async function trust(dir: string): Promise<KpmResult> {
  const result = await kpm(["trust", dir]);
  expect(result.code).toBe(0);
  return result;
}

describe("untrusted project files are not used", () => {
  test("a project template is ignored with one line (the user's is used), and used once trusted", async () => {
    const repo = clonedRepo({ ".kpm/templates/claude.template": GREEDY });
    const template = join(repo, ".kpm/templates/claude.template");

    const before = await vended(() => kpm(["run", "--no-masking", "--", "claude"], { cwd: repo }));
    expect(before.result.stderr).toBe(`${ignoring(template, repo)}\n`);
    expect(before.result.code).toBe(0);
    expect(childEnv(before.result.stdout)).toEqual({ ANTHROPIC_API_KEY: SECRETS.ANTHROPIC_API_KEY });
    expect(before.keys).toEqual(["llm/anthropic"]);

    const trusted = await trust(repo);
    expect(trusted.stdout).toBe("");
    expect(trusted.stderr).toMatch(new RegExp(`^✓ trusted ${template} \\(sha256 [0-9a-f]{12}\\)\\n$`));

    const after = await vended(() => kpm(["run", "--no-masking", "--", "claude"], { cwd: repo }));
    expect(after.result.stderr).toBe("");
    expect(childEnv(after.result.stdout)).toEqual(SECRETS);
    expect(after.keys).toEqual(["generic/db/prod", "llm/anthropic", "llm/openai"]);
  });

  test("a trusted file whose content changes is untrusted again, and --list says so", async () => {
    const repo = clonedRepo({ ".kpm/templates/claude.template": "ANTHROPIC_API_KEY=${kms:llm/anthropic}\n" });
    const template = join(repo, ".kpm/templates/claude.template");
    await trust(repo);
    expect((await kpm(["run", "--", "claude"], { cwd: repo })).stderr).toBe("");

    // A later `git pull` adds a line: the reviewed content is gone, so is the trust.
    appendFileSync(template, "DB_PASSWORD=${kms:kv/db/prod#password}\n");
    const changed = await vended(() => kpm(["run", "--no-masking", "--", "claude"], { cwd: repo }));
    expect(changed.result.stderr).toBe(`${ignoring(template, repo)}\n`);
    expect(childEnv(changed.result.stdout)).toEqual({ ANTHROPIC_API_KEY: SECRETS.ANTHROPIC_API_KEY });
    expect(changed.keys).toEqual(["llm/anthropic"]);
    expect((await kpm(["trust", "--list"])).stdout).toMatch(
      new RegExp(`^[0-9a-f]{12}  changed     ${template}\\n$`),
    );

    await trust(repo);
    expect((await kpm(["trust", "--list"])).stdout).toMatch(
      new RegExp(`^[0-9a-f]{12}  ok          ${template}\\n$`),
    );
  });

  test("an include of an untrusted project template falls back to the user's file of that name", async () => {
    const repo = clonedRepo({ ".kpm/templates/extra.template": "DB_PASSWORD=${kms:kv/db/prod#password}\n" });
    const userTemplate = join(sandbox.home, "with-include.template");
    writeFileSync(userTemplate, "${kms:include/extra}\nANTHROPIC_API_KEY=${kms:llm/anthropic}\n");
    const included = join(repo, ".kpm/templates/extra.template");
    const run = () => kpm(["run", "--no-masking", "--from", userTemplate, "--", "claude"], { cwd: repo });

    const before = await vended(run);
    expect(before.result.stderr).toBe(`${ignoring(included, repo)}\n`);
    expect(childEnv(before.result.stdout)).toEqual({
      EXTRA: "from-user",
      ANTHROPIC_API_KEY: SECRETS.ANTHROPIC_API_KEY,
    });
    expect(before.keys).toEqual(["llm/anthropic"]);

    await trust(repo);
    const after = await vended(run);
    expect(after.result.stderr).toBe("");
    expect(childEnv(after.result.stdout)).toEqual({
      DB_PASSWORD: SECRETS.DB_PASSWORD,
      ANTHROPIC_API_KEY: SECRETS.ANTHROPIC_API_KEY,
    });
  });

  test("a file the user names with --from needs no trust, even inside .kpm/", async () => {
    const repo = clonedRepo({ ".kpm/templates/claude.template": "ANTHROPIC_API_KEY=${kms:llm/anthropic}\n" });
    const result = await kpm(
      ["run", "--no-masking", "--from", ".kpm/templates/claude.template", "--", "claude"],
      {
        cwd: repo,
      },
    );
    expect(result.stderr).toBe("");
    expect(childEnv(result.stdout)).toEqual({ ANTHROPIC_API_KEY: SECRETS.ANTHROPIC_API_KEY });
  });

  test("a relative default template in the current directory is the project's too", async () => {
    const repo = clonedRepo({ ".env.template": "FROM_DEFAULT=${kms:kv/db/prod#password}\n" });
    const file = join(repo, ".env.template");
    const before = await vended(() => kpm(["env", "--plaintext"], { cwd: repo }));
    expect(before.result).toEqual({
      code: 1,
      stdout: "",
      stderr: `${ignoring(file, repo)}\nerror parsing template: open template ${file}: not trusted\n`,
    });
    expect(before.keys).toEqual([]);
    await trust(repo);
    const after = await kpm(["env", "--plaintext", "--output", "shell"], { cwd: repo });
    expect(parseShellExports(after.stdout)).toEqual({ FROM_DEFAULT: SECRETS.DB_PASSWORD });
  });

  test("untrusted profile values are ignored; trusted, they win over the global config", async () => {
    const globalConfig = join(configDir, "config.yaml");
    const original = readFileSync(globalConfig, "utf8");
    writeFileSync(globalConfig, `${original}profile:\n  stage: prod\n`);
    try {
      const repo = clonedRepo({ ".kpm/config.yaml": "profile:\n  stage: attacker\n  region: eu\n" });
      const profile = join(repo, ".kpm/config.yaml");
      const before = await kpm(["profile"], { cwd: repo });
      expect(before).toEqual({
        code: 0,
        stdout: `stage: prod\t← ${globalConfig}\n`,
        stderr: `${ignoring(profile, repo)}\n`,
      });
      await trust(repo);
      const after = await kpm(["profile"], { cwd: repo });
      expect(after).toEqual({
        code: 0,
        stdout: `region: eu\t← ${profile}\nstage : attacker\t← ${profile}\n`,
        stderr: "",
      });
    } finally {
      writeFileSync(globalConfig, original);
    }
  });

  test("tree lists an untrusted project template without its references", async () => {
    const repo = clonedRepo({ ".kpm/templates/claude.template": GREEDY });
    const before = await kpm(["tree"], { cwd: repo });
    expect(before.stdout).toEndWith(
      `Project: ${repo}/.kpm/templates\n  claude.template           (untrusted)\n`,
    );
    expect(before.stderr).toBe(`${ignoring(join(repo, ".kpm/templates/claude.template"), repo)}\n`);
    await trust(repo);
    const after = await kpm(["tree"], { cwd: repo });
    expect(after.stdout).toContain(
      "  claude.template           3 secrets [llm/anthropic, llm/openai, kv/db/prod#password]",
    );
  });

  test("a repo whose .kpm links to a trusted project's .kpm does not inherit that trust", async () => {
    const trustedRepo = clonedRepo({ ".kpm/templates/claude.template": GREEDY });
    await trust(trustedRepo);
    const evil = clonedRepo({});
    symlinkSync(join(trustedRepo, ".kpm"), join(evil, ".kpm"));
    const result = await kpm(["run", "--no-masking", "--", "claude"], { cwd: evil });
    expect(result.stderr).toBe(`${ignoring(join(evil, ".kpm/templates/claude.template"), evil)}\n`);
    expect(childEnv(result.stdout)).toEqual({ ANTHROPIC_API_KEY: SECRETS.ANTHROPIC_API_KEY });
  });
});

describe("--secure never falls back silently", () => {
  test('an untrusted project allow-list granting "*" is exit 1 with the line; trusted, it would hand over everything', async () => {
    const repo = clonedRepo({ ".kpm/secure-allowlist.yaml": 'claude: ["*"]\n' });
    const allowlist = join(repo, ".kpm/secure-allowlist.yaml");
    const run = () =>
      kpm(["run", "--secure", "--no-masking", "--from", join(sandbox.home, "all.template"), "--", "claude"], {
        cwd: repo,
      });

    const refused = await vended(run);
    expect(refused.result).toEqual({ code: 1, stdout: "", stderr: `${ignoring(allowlist, repo)}\n` });
    expect(refused.keys).toEqual([]);

    // The attack the check stops: once the hostile list is used, the agent gets every secret.
    // (Here the user's own list does not name claude, so nothing bounds the project's.)
    const userList = join(sandbox.home, ".config/kpm/secure-allowlist.yaml");
    const userText = readFileSync(userList, "utf8");
    writeFileSync(userList, "cursor: [ANTHROPIC_API_KEY]\n");
    await trust(repo);
    const attack = await vended(run);
    expect(attack.result.code).toBe(0);
    expect(attack.result.stderr).toBe('kpm: --secure: tool "claude" is allowed every secret ("*")\n');
    expect(childEnv(attack.result.stdout)).toEqual(SECRETS);
    expect(attack.keys).toEqual(["generic/db/prod", "llm/anthropic", "llm/openai"]);
    writeFileSync(userList, userText);

    // Untrusted again, the run stops again; KPM_PROJECT_DIR names the same project from elsewhere.
    const untrusted = await kpm(["untrust", repo]);
    expect(untrusted.stderr).toBe(`✓ untrusted ${allowlist}\n`);
    const viaEnv = await kpm(
      ["run", "--secure", "--from", join(sandbox.home, "all.template"), "--", "claude"],
      { env: { KPM_PROJECT_DIR: repo } },
    );
    expect(viaEnv).toEqual({ code: 1, stdout: "", stderr: `${ignoring(allowlist, repo)}\n` });
  });

  test("an untrusted project template is exit 1 with the line, not the user's template", async () => {
    const repo = clonedRepo({ ".kpm/templates/claude.template": GREEDY });
    const refused = await vended(() => kpm(["run", "--secure", "--", "claude"], { cwd: repo }));
    expect(refused.result).toEqual({
      code: 1,
      stdout: "",
      stderr: `${ignoring(join(repo, ".kpm/templates/claude.template"), repo)}\n`,
    });
    expect(refused.keys).toEqual([]);
  });
});

describe("kpm trust, untrust and --list", () => {
  test("trust records every .kpm file, --list shows hash prefix and state, untrust forgets them", async () => {
    const repo = clonedRepo({
      ".kpm/templates/claude.template": "ANTHROPIC_API_KEY=${kms:llm/anthropic}\n",
      ".kpm/templates/team/db.template": "DB_PASSWORD=${kms:kv/db/prod#password}\n",
      ".kpm/secure-allowlist.yaml": "claude: [ANTHROPIC_API_KEY]\n",
      ".kpm/config.yaml": "profile:\n  stage: dev\n",
    });
    const files = [
      ".kpm/config.yaml",
      ".kpm/secure-allowlist.yaml",
      ".kpm/templates/claude.template",
      ".kpm/templates/team/db.template",
    ].map((path) => join(repo, path));
    const trusted = await kpm(["trust"], { cwd: repo });
    expect(trusted.code).toBe(0);
    expect(trusted.stderr.trimEnd().split("\n")).toEqual(
      files.map((file) => expect.stringMatching(new RegExp(`^✓ trusted ${file} \\(sha256 [0-9a-f]{12}\\)$`))),
    );

    const listed = await kpm(["trust", "--list"]);
    expect(listed.stderr).toBe("");
    const stored = JSON.parse(readFileSync(store, "utf8")) as { files: Record<string, string> };
    expect(listed.stdout).toBe(
      files.map((file) => `${stored.files[file]?.slice(0, 12)}  ok          ${file}\n`).join(""),
    );

    const untrusted = await kpm(["untrust"], { cwd: repo });
    expect(untrusted).toEqual({
      code: 0,
      stdout: "",
      stderr: files.map((file) => `✓ untrusted ${file}\n`).join(""),
    });
    expect(await kpm(["trust", "--list"])).toEqual({
      code: 0,
      stdout: "",
      stderr: `no trusted files (${store})\n`,
    });
    expect((await kpm(["profile"], { cwd: repo })).stderr).toStartWith(`${ignoring(files[0] ?? "", repo)}\n`);
  });

  test("trust refuses a directory with nothing to trust, or one that is not a directory", async () => {
    const empty = clonedRepo({});
    expect(await kpm(["trust", empty])).toEqual({
      code: 1,
      stdout: "",
      stderr: `kpm trust: nothing to trust in ${empty} (no files under .kpm/, no default template)\n`,
    });
    expect(await kpm(["trust", join(empty, "nope")])).toEqual({
      code: 1,
      stdout: "",
      stderr: `kpm trust: ${join(empty, "nope")} is not a directory\n`,
    });
    expect((await kpm(["trust", "--list", empty])).code).toBe(2);
    expect(existsSync(store)).toBe(false);
  });

  test("the store is 0600 in a 0700 data dir, whatever the umask", async () => {
    const fresh = createSandbox();
    try {
      const repo = join(fresh.root, "repo");
      mkdirSync(join(repo, ".kpm"), { recursive: true });
      writeFileSync(join(repo, ".kpm/config.yaml"), "profile:\n  a: b\n");
      const child = Bun.spawnSync(
        ["sh", "-c", 'umask 000 && exec "$@"', "sh", ensureCompiledBinary(), "trust", repo],
        {
          env: fresh.env,
          cwd: fresh.home,
        },
      );
      expect(child.exitCode).toBe(0);
      const dataDir = join(fresh.home, ".local/share/kpm");
      expect(statSync(dataDir).mode & 0o777).toBe(0o700);
      expect(statSync(join(dataDir, "trust.json")).mode & 0o777).toBe(0o600);
    } finally {
      fresh.cleanup();
    }
  });
});

describe("a broken trust store", () => {
  const unusable = () =>
    `kpm: trust store ${store} is unusable (not valid UTF-8 JSON); fix or delete it, then run kpm trust again\n`;

  test("is one line and exit 1 wherever it is read, is never overwritten, and never means trust-all", async () => {
    const repo = clonedRepo({ ".kpm/templates/claude.template": GREEDY });
    mkdirSync(join(store, ".."), { recursive: true });
    writeFileSync(store, "{ truncated", { mode: 0o600 });
    const run = await vended(() => kpm(["run", "--", "claude"], { cwd: repo }));
    expect(run.result).toEqual({ code: 1, stdout: "", stderr: unusable() });
    expect(run.keys).toEqual([]);
    for (const args of [
      ["trust", repo],
      ["untrust", repo],
      ["trust", "--list"],
    ]) {
      expect(await kpm(args)).toEqual({ code: 1, stdout: "", stderr: unusable() });
    }
    expect(readFileSync(store, "utf8")).toBe("{ truncated");
  });

  test("a store others can write is refused", async () => {
    const repo = clonedRepo({ ".kpm/config.yaml": "profile:\n  a: b\n" });
    await trust(repo);
    chmodSync(store, 0o666);
    expect(await kpm(["profile"], { cwd: repo })).toEqual({
      code: 1,
      stdout: "",
      stderr: `kpm: trust store ${store} is writable by group or others (mode 0666); run: chmod 600 ${store}\n`,
    });
  });

  test("runs that meet no project file never read it (get, env-scan run, user templates)", async () => {
    mkdirSync(join(store, ".."), { recursive: true });
    writeFileSync(store, "{ truncated", { mode: 0o600 });
    const plain = clonedRepo({});
    expect(await kpm(["get", "llm/anthropic"], { cwd: plain })).toEqual({
      code: 0,
      stdout: SECRETS.ANTHROPIC_API_KEY,
      stderr: "",
    });
    const loaded = await kpm(["env", "--from", join(sandbox.home, "all.template"), "--output", "shell"], {
      cwd: plain,
    });
    expect(loaded.code).toBe(0);
    const session = parseShellExports(loaded.stdout);
    const envScan = await kpm(["run", "--no-masking", "--", "claude"], { cwd: plain, env: session });
    expect(envScan.stderr).toBe("");
    expect(childEnv(envScan.stdout)).toEqual(SECRETS);
    const discovered = await kpm(["run", "--no-masking", "--", "claude"], { cwd: plain });
    expect(discovered.stderr).toBe("");
    expect(childEnv(discovered.stdout)).toEqual({ ANTHROPIC_API_KEY: SECRETS.ANTHROPIC_API_KEY });
    await kpm(["env", "--unload"], { env: session });
  });
});
