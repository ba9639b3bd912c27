// The project directory through the compiled binary (docs/templates.md "Discovery"): from any
// subdirectory of a repository kpm uses the nearest `.kpm/` up to the repository root — for
// discovery, includes, `kpm tree`, the --secure allow-list, `kpm trust` and `kpm doctor` — still
// only once trusted, never above the repository root, and outside a repository only in the
// current directory.
// biome-ignore-all lint/suspicious/noTemplateCurlyInString: templates spell ${kms:…} literally
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { chmodSync, mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import {
  type Fixture,
  type KpmResult,
  readAuditEvents,
  runKpmProcess,
  type Sandbox,
  startFixture,
  type TestDevServer,
} from "./helpers/kpm-env.ts";
import { ensureCompiledBinary } from "./helpers/run-kpm.ts";

const SECRETS = { ANTHROPIC_API_KEY: "sk-ant-WALKMARKER-1", OPENAI_API_KEY: "sk-oai-WALKMARKER-2" } as const;
const BOTH = "ANTHROPIC_API_KEY=${kms:llm/anthropic}\nOPENAI_API_KEY=${kms:llm/openai}\n";

let fixture: Fixture;
let server: TestDevServer;
let sandbox: Sandbox;
let bin: string;

beforeAll(async () => {
  ensureCompiledBinary();
  fixture = await startFixture({
    "llm/anthropic": { api_key: SECRETS.ANTHROPIC_API_KEY },
    "llm/openai": { api_key: SECRETS.OPENAI_API_KEY },
  });
  ({ server, sandbox } = fixture);
  const configDir = join(sandbox.home, ".config/kpm");
  mkdirSync(join(configDir, "templates/ai"), { recursive: true });
  writeFileSync(join(configDir, "templates/ai/claude.template"), "ANTHROPIC_API_KEY=${kms:llm/anthropic}\n");
  writeFileSync(join(configDir, "secure-allowlist.yaml"), "claude: [ANTHROPIC_API_KEY, OPENAI_API_KEY]\n");
  bin = join(sandbox.root, "bin");
  mkdirSync(bin);
  writeFileSync(join(bin, "claude"), "#!/bin/sh\nenv | grep -o '^[A-Z_]*API_KEY' | sort\n");
  chmodSync(join(bin, "claude"), 0o755);
});

afterAll(async () => {
  await fixture?.close();
});

/** `<fresh>/repo` with a `.git` directory and `files`, plus the empty subdirectory `repo/app/src`. */
function repository(files: Record<string, string>, outside: Record<string, string> = {}) {
  const parent = mkdtempSync(join(sandbox.root, "w-"));
  const repo = join(parent, "repo");
  for (const [path, text] of Object.entries({ ...files, ".git/HEAD": "ref: refs/heads/main\n" })) {
    mkdirSync(join(repo, path, ".."), { recursive: true });
    writeFileSync(join(repo, path), text);
  }
  for (const [path, text] of Object.entries(outside)) {
    mkdirSync(join(parent, path, ".."), { recursive: true });
    writeFileSync(join(parent, path), text);
  }
  const sub = join(repo, "app/src");
  mkdirSync(sub, { recursive: true });
  return { parent, repo, sub };
}

function kpm(args: string[], cwd: string, env: Record<string, string> = {}): Promise<KpmResult> {
  return runKpmProcess(args, {
    env: { ...sandbox.env, PATH: `${bin}:${sandbox.env.PATH}`, ...env },
    cwd,
    binary: true,
  });
}

const ignoring = (file: string, dir: string) =>
  `kpm: ignoring untrusted ${file} — review it, then run: kpm trust ${dir}`;

/** Credential paths the dev server vended while `work` ran. */
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

describe("from a subdirectory of a repository", () => {
  test("discovery finds the root's template; `kpm trust` there trusts the root, and then it is used", async () => {
    const { repo, sub } = repository({ ".kpm/templates/claude.template": BOTH });
    const template = join(repo, ".kpm/templates/claude.template");

    const before = await vended(() => kpm(["run", "--no-masking", "--", "claude"], sub));
    expect(before.result.stderr).toBe(`${ignoring(template, repo)}\n`);
    expect(before.result.stdout).toBe("ANTHROPIC_API_KEY\n");
    expect(before.keys).toEqual(["llm/anthropic"]);

    const trusted = await kpm(["trust"], sub);
    expect(trusted.code).toBe(0);
    expect(trusted.stderr).toMatch(new RegExp(`^✓ trusted ${template} \\(sha256 [0-9a-f]{12}\\)\\n$`));

    const after = await vended(() => kpm(["run", "--no-masking", "--", "claude"], sub));
    expect(after.result).toEqual({ code: 0, stdout: "ANTHROPIC_API_KEY\nOPENAI_API_KEY\n", stderr: "" });
    expect(after.keys).toEqual(["llm/anthropic", "llm/openai"]);

    // `kpm untrust` from the subdirectory forgets the same project.
    const untrusted = await kpm(["untrust"], sub);
    expect(untrusted.stderr).toBe(`✓ untrusted ${template}\n`);
  });

  test("includes, `--from NAME`, `kpm tree` and `kpm doctor` use the root's .kpm", async () => {
    const { repo, sub } = repository({
      ".kpm/templates/base.template": "OPENAI_API_KEY=${kms:llm/openai}\n",
      ".kpm/templates/named.template": "${kms:include/base}\nNAMED=1\n",
    });
    expect((await kpm(["trust"], sub)).code).toBe(0);
    const run = await kpm(["run", "--no-masking", "--from", "named.template", "--", "claude"], sub);
    expect(run).toEqual({ code: 0, stdout: "OPENAI_API_KEY\n", stderr: "" });

    const tree = await kpm(["tree"], sub);
    expect(tree.stdout).toContain(
      `Project: ${join(repo, ".kpm/templates")}\n  base.template             1 secret [llm/openai]\n`,
    );
    const doctor = await kpm(["doctor", "--json"], sub);
    const checks = JSON.parse(doctor.stdout) as Array<{ id: string; check: string; detail: string }>;
    expect(checks.find((check) => check.id === "trust")).toMatchObject({
      check: `project trust ${repo}`,
      detail: "2 project files trusted",
    });
  });

  test("--secure finds the project allow-list at the root (untrusted: a hard error naming it)", async () => {
    const { repo, sub } = repository({ ".kpm/secure-allowlist.yaml": "claude: [OPENAI_API_KEY]\n" });
    const allowlist = join(repo, ".kpm/secure-allowlist.yaml");
    const refused = await kpm(["run", "--secure", "--", "claude"], sub);
    expect(refused).toEqual({ code: 1, stdout: "", stderr: `${ignoring(allowlist, repo)}\n` });

    // KPM_PROJECT_DIR is taken as given: no walk, so the root's list is not looked at.
    const elsewhere = mkdtempSync(join(sandbox.root, "p-"));
    const named = await kpm(["run", "--secure", "--no-masking", "--", "claude"], sub, {
      KPM_PROJECT_DIR: elsewhere,
    });
    expect(named).toEqual({ code: 0, stdout: "ANTHROPIC_API_KEY\n", stderr: "" });

    // Trusted, it narrows what the user's list grants claude.
    expect((await kpm(["trust"], sub)).code).toBe(0);
    const both = join(sandbox.root, "both.template");
    writeFileSync(both, BOTH);
    const bounded = await kpm(["run", "--secure", "--no-masking", "--from", both, "--", "claude"], sub);
    expect(bounded).toEqual({ code: 0, stdout: "OPENAI_API_KEY\n", stderr: "" });
  });
});

describe("where the walk stops", () => {
  test("never above the repository root: a .kpm beside the checkout is not the project's", async () => {
    const { parent, sub } = repository({}, { ".kpm/templates/claude.template": BOTH });
    const result = await vended(() => kpm(["run", "--no-masking", "--", "claude"], sub));
    // Not even reported as untrusted: it is not a candidate at all.
    expect(result.result).toEqual({ code: 0, stdout: "ANTHROPIC_API_KEY\n", stderr: "" });
    expect(result.keys).toEqual(["llm/anthropic"]);
    expect((await kpm(["tree"], sub)).stdout).toContain(
      `Project: ${sub}/.kpm/templates\n  (no templates found)\n`,
    );
    // `kpm trust` from there means this directory, not the .kpm beside the checkout.
    expect((await kpm(["trust"], sub)).stderr).toBe(
      `kpm trust: nothing to trust in ${sub} (no files under .kpm/, no default template)\n`,
    );
    expect((await kpm(["trust", "--list"], sub)).stdout).not.toContain(parent);
  });

  test("outside a repository only the current directory counts", async () => {
    const parent = mkdtempSync(join(sandbox.root, "norepo-"));
    mkdirSync(join(parent, ".kpm/templates"), { recursive: true });
    writeFileSync(join(parent, ".kpm/templates/claude.template"), BOTH);
    const sub = join(parent, "sub");
    mkdirSync(sub);
    const below = await kpm(["run", "--no-masking", "--", "claude"], sub);
    expect(below).toEqual({ code: 0, stdout: "ANTHROPIC_API_KEY\n", stderr: "" });
    // In the directory itself it is the project's template (and untrusted).
    const template = join(parent, ".kpm/templates/claude.template");
    const inside = await kpm(["run", "--no-masking", "--", "claude"], parent);
    expect(inside.stderr).toBe(`${ignoring(template, parent)}\n`);
  });
});
