// `kpm run`'s mode with a session in the shell (spec §8.2), through the compiled binary: --from
// always wins over env-scan mode, and when env-scan mode wins while a project template exists
// (`<tool>.template` or the default `.env.template`, found from a subdirectory too), kpm says on
// one stderr line which template it passed over and how to use it instead.
// biome-ignore-all lint/suspicious/noTemplateCurlyInString: templates spell ${kms:…} literally
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import {
  type Fixture,
  type KpmResult,
  parseShellExports,
  runKpmProcess,
  type Sandbox,
  startFixture,
} from "./helpers/kpm-env.ts";
import { ensureCompiledBinary } from "./helpers/run-kpm.ts";

const FROM_SESSION = "sk-session-MODEMARKER-1";
const FROM_TEMPLATE = "pw-template-MODEMARKER-2";
const PRINT = 'printf "%s|%s\\n" "$KEY" "${ONLY_TEMPLATE-unset}"';

let fixture: Fixture;
let sandbox: Sandbox;
/** This shell's session: KEY as ciphertext of FROM_SESSION. */
let session: Record<string, string>;

beforeAll(async () => {
  ensureCompiledBinary();
  fixture = await startFixture({
    "llm/anthropic": { api_key: FROM_SESSION },
    "generic/db/prod": { password: FROM_TEMPLATE },
  });
  ({ sandbox } = fixture);
  const shell = join(sandbox.home, "shell.template");
  writeFileSync(shell, "KEY=${kms:llm/anthropic}\n");
  // A separate stand-in shell owns the listener, so no other load replaces it.
  const loaded = await kpm(
    ["env", "--from", shell, "--output", "shell", "--shell-pid", String(sandbox.standInShell())],
    sandbox.home,
  );
  expect(loaded.code).toBe(0);
  session = parseShellExports(loaded.stdout);
  expect(session.KEY).toStartWith("ENC[kpm:");
});

afterAll(async () => {
  await fixture?.close();
});

function kpm(args: string[], cwd: string, env: Record<string, string> = {}): Promise<KpmResult> {
  return runKpmProcess(args, { env: { ...sandbox.env, ...env }, cwd, binary: true });
}

/** A checkout (`.git`) holding `files`, with the empty subdirectory `app`. */
function checkout(files: Record<string, string>): string {
  const repo = mkdtempSync(join(sandbox.root, "r-"));
  for (const [path, text] of Object.entries({ ...files, ".git/HEAD": "ref: refs/heads/main\n" })) {
    mkdirSync(join(repo, path, ".."), { recursive: true });
    writeFileSync(join(repo, path), text);
  }
  mkdirSync(join(repo, "app"), { recursive: true });
  return repo;
}

const TEMPLATE = `KEY=\${kms:kv/db/prod#password}\nONLY_TEMPLATE=yes\n`;
const passedOver = (path: string) =>
  `kpm: using this shell's session (env-scan); ignoring ${path} — use --from ${path} to use it instead\n`;

describe("--from always wins over env-scan mode", () => {
  test("with a session in the shell, --from loads the template (and says nothing about env-scan)", async () => {
    const repo = checkout({});
    const template = join(repo, "deploy.template");
    writeFileSync(template, TEMPLATE);
    const result = await kpm(
      ["run", "--no-masking", "--from", template, "--", "sh", "-c", PRINT],
      repo,
      session,
    );
    expect(result).toEqual({ code: 0, stdout: `${FROM_TEMPLATE}|yes\n`, stderr: "" });
    // The same run without --from is env-scan mode: the session's value, no template entry.
    const scan = await kpm(["run", "--no-masking", "--", "sh", "-c", PRINT], repo, session);
    expect(scan).toEqual({ code: 0, stdout: `${FROM_SESSION}|unset\n`, stderr: "" });
  });

  test("the template named by the notice, passed to --from, is what runs", async () => {
    const repo = checkout({ ".kpm/templates/sh.template": TEMPLATE });
    const template = join(repo, ".kpm/templates/sh.template");
    const scan = await kpm(["run", "--no-masking", "--", "sh", "-c", PRINT], join(repo, "app"), session);
    expect(scan).toEqual({ code: 0, stdout: `${FROM_SESSION}|unset\n`, stderr: passedOver(template) });
    // The hint works as printed: a file named with --from needs no trust, and wins over the session.
    const named = await kpm(
      ["run", "--no-masking", "--from", template, "--", "sh", "-c", PRINT],
      join(repo, "app"),
      session,
    );
    expect(named).toEqual({ code: 0, stdout: `${FROM_TEMPLATE}|yes\n`, stderr: "" });
  });
});

describe("env-scan mode names the project template it passed over", () => {
  test("the tool's template, found from a subdirectory at the repository root", async () => {
    const repo = checkout({
      ".kpm/templates/sh.template": TEMPLATE,
      ".kpm/templates/.env.template": TEMPLATE,
    });
    const result = await kpm(["run", "--no-masking", "--", "sh", "-c", PRINT], join(repo, "app"), session);
    expect(result.stderr).toBe(passedOver(join(repo, ".kpm/templates/sh.template")));
    expect(result.stdout).toBe(`${FROM_SESSION}|unset\n`);
  });

  test("the default template: ./.env.template first, then the project's .kpm/templates/.env.template", async () => {
    const repo = checkout({ ".kpm/templates/.env.template": TEMPLATE, "app/.env.template": TEMPLATE });
    const inApp = await kpm(["run", "--", "true"], join(repo, "app"), session);
    expect(inApp).toEqual({ code: 0, stdout: "", stderr: passedOver(join(repo, "app/.env.template")) });
    const atRoot = await kpm(["run", "--", "true"], repo, session);
    expect(atRoot.stderr).toBe(passedOver(join(repo, ".kpm/templates/.env.template")));
  });

  test("a path a shell would split is quoted, so the hint can be pasted", async () => {
    const repo = checkout({ "my app/.env.template": TEMPLATE });
    const result = await kpm(["run", "--", "true"], join(repo, "my app"), session);
    const quoted = `'${join(repo, "my app/.env.template")}'`;
    expect(result.stderr).toBe(passedOver(quoted));
  });

  test("no project template, --from, or --secure: no line", async () => {
    const plain = checkout({});
    expect(await kpm(["run", "--", "true"], join(plain, "app"), session)).toEqual({
      code: 0,
      stdout: "",
      stderr: "",
    });
    // A user template for the tool is not a project template: env-scan still wins, silently.
    mkdirSync(join(sandbox.home, ".config/kpm/templates"), { recursive: true });
    writeFileSync(join(sandbox.home, ".config/kpm/templates/true.template"), "X=1\n");
    expect(await kpm(["run", "--", "true"], plain, session)).toEqual({ code: 0, stdout: "", stderr: "" });
  });

  test("a template beyond the repository root is not named", async () => {
    const outer = mkdtempSync(join(sandbox.root, "o-"));
    mkdirSync(join(outer, ".kpm/templates"), { recursive: true });
    writeFileSync(join(outer, ".kpm/templates/true.template"), TEMPLATE);
    const repo = join(outer, "repo");
    mkdirSync(join(repo, ".git"), { recursive: true });
    expect(await kpm(["run", "--", "true"], repo, session)).toEqual({ code: 0, stdout: "", stderr: "" });
  });
});
