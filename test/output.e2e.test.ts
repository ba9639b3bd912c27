// Output a user expects, through the compiled dist/kpm against a real dev server: `kpm get` ends
// with a newline on a terminal and never when piped; `kpm list` has column titles and correct
// plurals; the shell-init hook shows a failure and sets KPM_LOADED only when something loaded, in
// sh, bash, zsh and fish.
// biome-ignore-all lint/suspicious/noTemplateCurlyInString: templates and shell lines spell ${…} literally
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { appendFileSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { type Fixture, runKpmProcess, startFixture } from "./helpers/kpm-env.ts";
import { ensureCompiledBinary } from "./helpers/run-kpm.ts";
import { type ProcessOutput, runToEnd } from "./helpers/run-to-end.ts";

const ANTHROPIC = "sk-output-e2e-anthropic-5b1d";
let fixture: Fixture;
let env: Record<string, string>;
let templatesDir: string;

beforeAll(async () => {
  ensureCompiledBinary();
  fixture = await startFixture({ "llm/anthropic": { api_key: ANTHROPIC } });
  // `kpm` on PATH is the compiled binary, as after `bun run setup`.
  const bin = join(fixture.sandbox.root, "bin");
  mkdirSync(bin);
  symlinkSync(ensureCompiledBinary(), join(bin, "kpm"));
  env = { ...fixture.sandbox.env, PATH: `${bin}:${fixture.sandbox.env.PATH}` };
  templatesDir = join(fixture.sandbox.home, ".config/kpm/templates");
  mkdirSync(templatesDir, { recursive: true });
  const stored = await kpm(["add", "demo/api-key", "--type", "api-token"], "sk-registry-output-e2e");
  if (stored.code !== 0) throw new Error(`setup add: ${stored.stderr}`);
}, 60_000);

afterAll(async () => {
  await fixture?.close();
});

const kpm = (args: string[], input?: string) => runKpmProcess(args, { env, binary: true, input });

/** Runs a shell command line under a pseudo-terminal (`script`), so kpm's stdout is a TTY. */
async function onTerminal(commandLine: string): Promise<string> {
  const { code, stdout } = await runToEnd(["script", "-qec", commandLine, "/dev/null"], {
    env,
    cwd: fixture.sandbox.home,
  });
  if (code !== 0) throw new Error(`script exited ${code}: ${stdout}`);
  return stdout;
}

describe("kpm get", () => {
  test("on a terminal the value ends with a newline (the terminal shows it as \\r\\n)", async () => {
    expect(await onTerminal("kpm get llm/anthropic")).toBe(`${ANTHROPIC}\r\n`);
    expect(await onTerminal("kpm get demo/api-key")).toBe("sk-registry-output-e2e\r\n");
  });

  test("piped or appended to a file the bytes are exact, no newline added", async () => {
    expect(await kpm(["get", "llm/anthropic"])).toEqual({ code: 0, stdout: ANTHROPIC, stderr: "" });
    const file = join(fixture.sandbox.root, "out.txt");
    writeFileSync(file, "before|");
    const child = Bun.spawn(
      ["sh", "-c", 'kpm get llm/anthropic >> "$1"; kpm get \'kv/none#x:-\' >> "$1"', "sh", file],
      {
        env,
      },
    );
    expect(await child.exited).toBe(0);
    appendFileSync(file, "|after");
    // The empty default adds zero bytes: the appended file is neither truncated nor NUL-filled.
    expect(readFileSync(file, "utf8")).toBe(`before|${ANTHROPIC}|after`);
  });

  test("an empty value on a terminal is just the newline", async () => {
    expect(await onTerminal("kpm get 'kv/none#x:-'")).toBe("\r\n");
  });
});

describe("kpm list", () => {
  test("column titles over the rows and a singular footer for one secret in one service", async () => {
    const result = await kpm(["list"]);
    expect(result.code).toBe(0);
    const header = `${"SERVICE/NAME".padEnd(30)} ${"TYPE".padEnd(14)} ${"TAGS".padEnd(18)} ${"DESCRIPTION".padEnd(30)} VERSION`;
    const row = `  ${"api-key".padEnd(28)} ${"api-token".padEnd(14)} ${"".padEnd(18)} ${"".padEnd(30)} v1`;
    expect(result.stdout).toBe(`${header}\ndemo/\n${row}\n\n1 secret across 1 service\n`);
  });

  test("plurals follow the counts: 2 secrets across 2 services", async () => {
    expect((await kpm(["add", "other/token"], "sk-second-output-e2e")).code).toBe(0);
    expect((await kpm(["list"])).stdout).toEndWith("\n\n2 secrets across 2 services\n");
  });
});

describe("the shell-init hook", () => {
  const shells: Record<string, string[]> = {
    sh: ["sh", "-c"],
    bash: ["bash", "--norc", "--noprofile", "-c"],
    zsh: ["zsh", "-f", "-c"],
    fish: ["fish", "--no-config", "-c"],
  };
  const probe: Record<string, string> = {
    sh: 'eval "$(kpm shell-init --shell sh)"; printf "%s|%s" "${KPM_LOADED-unset}" "${ANTHROPIC_API_KEY-unset}"',
    bash: 'eval "$(kpm shell-init --shell bash)"; printf "%s|%s" "${KPM_LOADED-unset}" "${ANTHROPIC_API_KEY-unset}"',
    zsh: 'eval "$(kpm shell-init --shell zsh)"; printf "%s|%s" "${KPM_LOADED-unset}" "${ANTHROPIC_API_KEY-unset}"',
    fish:
      "kpm shell-init --shell fish | source; " +
      "if set -q KPM_LOADED; printf %s $KPM_LOADED; else; printf unset; end; " +
      "if set -q ANTHROPIC_API_KEY; printf '|%s' $ANTHROPIC_API_KEY; else; printf '|unset'; end",
  };

  const hook = (shell: string): Promise<ProcessOutput> =>
    runToEnd([...(shells[shell] ?? []), probe[shell] ?? ""], {
      env: { ...env, SHELL: `/bin/${shell}` },
      cwd: fixture.sandbox.home,
    });

  const template = () => join(templatesDir, "shell-env.template");

  for (const shell of Object.keys(shells)) {
    test(`${shell}: loaded → KPM_LOADED=1 and a blob, and no ✓ chatter`, async () => {
      writeFileSync(template(), "ANTHROPIC_API_KEY=${kms:llm/anthropic}\n");
      const result = await hook(shell);
      expect(result.stderr).toBe("");
      expect(result.stdout).toMatch(/^1\|ENC\[kpm:/);
    });

    test(`${shell}: a failing kpm env shows its error and leaves KPM_LOADED unset`, async () => {
      writeFileSync(template(), "ANTHROPIC_API_KEY=${kms:llm/anthropic}\nGONE=${kms:kv/no/such#key}\n");
      const result = await hook(shell);
      expect(result.stdout).toBe("unset|unset");
      expect(result.stderr).toContain("error: resolve GONE: ");
      expect(result.stderr).not.toContain(ANTHROPIC);
    });

    test(`${shell}: a template with nothing in it loads nothing and sets nothing`, async () => {
      writeFileSync(template(), "# nothing yet\n");
      expect(await hook(shell)).toEqual({ code: 0, stdout: "unset|unset", stderr: "" });
    });
  }
});
