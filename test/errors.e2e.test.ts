// What a first user meets when a command line goes wrong, through the compiled dist/kpm: "did you
// mean" for commands, subcommands and flags, exit 2 for usage errors, help on stdout with
// examples, a named missing --config, the --output and shell choices listed, `decrypt` of a value
// that is not a blob, secure_mode refused, and `tree` listing ai/* with includes counted apart.
// biome-ignore-all lint/suspicious/noTemplateCurlyInString: templates and shell lines spell ${…} literally
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { aliases, commands } from "../apps/kpm/src/commands/index.ts";
import { ensureCompiledBinary, type KpmOutput, runKpm } from "./helpers/run-kpm.ts";
import { type TempHome, tempHome } from "./helpers/temp-home.ts";

let sandbox: TempHome;
beforeAll(() => {
  ensureCompiledBinary();
  sandbox = tempHome();
});
afterAll(() => sandbox.cleanup());

const kpm = (args: string[], env: Record<string, string> = {}, cwd?: string): Promise<KpmOutput> =>
  runKpm(args, { env: { ...sandbox.env, ...env }, cwd, binary: "compiled" });

/** A usage error: nothing on stdout, exactly these stderr lines, exit 2. */
const usage = (...lines: string[]): KpmOutput => ({ code: 2, stdout: "", stderr: `${lines.join("\n")}\n` });

describe("did you mean", () => {
  test.each([
    [["lst"], ["unknown command: lst", 'Did you mean "kpm list"?']],
    [["lsit"], ["unknown command: lsit", 'Did you mean "kpm list"?']],
    [["LIST"], ["unknown command: LIST", 'Did you mean "kpm list"?']],
    [["ls"], ["unknown command: ls", 'Did you mean "kpm list"?']],
    [
      ["rm", "x/y"],
      ["unknown command: rm", 'Did you mean "kpm remove"?'],
    ],
    [["exprot"], ["unknown command: exprot", 'Did you mean "kpm export"?']],
    [["serve"], ["unknown command: serve", 'Did you mean "kpm dev serve"?']],
    [["push"], ["unknown command: push", 'Did you mean "kpm config push"?']],
    [["frobnicate"], ["unknown command: frobnicate", "Run 'kpm help' for the list of commands."]],
    [["_listenn"], ["unknown command: _listenn", "Run 'kpm help' for the list of commands."]],
    [
      ["dev", "stauts"],
      [
        'kpm dev: unknown subcommand "stauts" (use serve, enroll, secrets, status or stop)',
        'Did you mean "kpm dev status"?',
      ],
    ],
    [
      ["config", "pul"],
      ['kpm config: unknown subcommand "pul" (use push or pull)', 'Did you mean "kpm config pull"?'],
    ],
    [
      ["list", "--jsn"],
      ["flag provided but not defined: -jsn", 'Did you mean "--json"?'],
    ],
    [
      ["list", "--tpye", "x"],
      ["flag provided but not defined: -tpye", 'Did you mean "--type"?'],
    ],
    [
      ["remove", "a/b", "--purg"],
      ["flag provided but not defined: -purg", 'Did you mean "--purge"?'],
    ],
    [
      ["run", "--secrue", "--", "true"],
      ["flag provided but not defined: -secrue", 'Did you mean "--secure"?'],
    ],
    [
      ["env", "--out", "shell"],
      ["flag provided but not defined: -out", 'Did you mean "--output"?'],
    ],
    [
      ["--verbos", "list"],
      ["flag provided but not defined: -verbos", 'Did you mean "--verbose"?'],
    ],
    [
      ["list", "--bogus"],
      ["flag provided but not defined: -bogus", "Run 'kpm list --help' for usage."],
    ],
  ])("kpm %p → one hint line, exit 2", async (args, lines) => {
    expect(await kpm(args)).toEqual(usage(...lines));
  });
});

describe("usage errors exit 2", () => {
  test.each([
    [["get"], ["kpm get: no reference specified", "Run 'kpm get --help' for usage."]],
    [["run"], ["kpm run: no command specified", "Run 'kpm run --help' for usage."]],
    [["describe"], ["kpm describe: path required", "Run 'kpm describe --help' for usage."]],
    [
      ["decrypt"],
      ["kpm decrypt: provide a ciphertext blob or --env VAR_NAME", "Run 'kpm decrypt --help' for usage."],
    ],
    [
      ["dev"],
      [
        "kpm dev: subcommand required (serve, enroll, secrets, stop or status)",
        "Run 'kpm dev --help' for usage.",
      ],
    ],
    [
      ["list", "--tag"],
      ["flag needs an argument: -tag", "Run 'kpm list --help' for usage."],
    ],
    [
      ["run", "--mask", "--no-masking", "--", "true"],
      ["kpm: --mask and --no-masking are mutually exclusive", "Run 'kpm run --help' for usage."],
    ],
  ])("kpm %p", async (args, lines) => {
    expect(await kpm(args)).toEqual(usage(...lines));
  });

  test("no arguments at all: the usage on stderr, exit 2", async () => {
    const result = await kpm([]);
    expect(result.code).toBe(2);
    expect(result.stdout).toBe("");
    expect(result.stderr).toStartWith("kpm — secure secrets CLI backed by AgentKMS\n");
  });

  test("an unknown --output lists the valid ones", async () => {
    expect(await kpm(["env", "--output", "yaml"])).toEqual(
      usage(
        'kpm env: unknown --output "yaml" (use dotenv, shell or json)',
        "Run 'kpm env --help' for usage.",
      ),
    );
    expect(await kpm(["export", "--output=toml"])).toEqual(
      usage(
        'kpm export: unknown --output "toml" (use dotenv, shell or json)',
        "Run 'kpm export --help' for usage.",
      ),
    );
  });

  test("kpm completion without a shell lists the shells and shows how to install one", async () => {
    expect(await kpm(["completion"])).toEqual(
      usage(
        "kpm completion: which shell? Use one of: bash, zsh, fish",
        "Example: source <(kpm completion bash)",
      ),
    );
  });
});

describe("help", () => {
  const visible = Object.keys(commands).filter((name) => !name.startsWith("_"));

  test.each(visible)(
    "kpm %s --help and kpm help %s: usage and examples on stdout, nothing on stderr",
    async (name) => {
      const viaFlag = await kpm([name, "--help"]);
      expect(viaFlag.code).toBe(0);
      expect(viaFlag.stderr).toBe("");
      expect(viaFlag.stdout).toStartWith(`Usage: kpm ${name}`);
      expect(viaFlag.stdout).toMatch(/\nExamples:\n {2}.*kpm /);
      expect(await kpm(["help", name])).toEqual(viaFlag);
    },
  );

  test("aliases and subcommands have help too", async () => {
    for (const alias of Object.keys(aliases)) {
      expect((await kpm(["help", alias])).stdout).toStartWith(`Usage: kpm ${alias} `);
    }
    const sub = await kpm(["help", "dev", "secrets", "set"]);
    expect(sub.stdout).toStartWith("Usage: kpm dev secrets set ");
    expect(sub.stdout).toContain("Examples:\n");
  });

  test("help is pipeable: kpm help | head gets the first line", async () => {
    const result = await kpm(["help"]);
    expect(result).toMatchObject({ code: 0, stderr: "" });
    expect(result.stdout.split("\n")[0]).toBe("kpm — secure secrets CLI backed by AgentKMS");
  });
});

describe("a missing --config file is named", () => {
  test("commands that read the config name the path and how to create it", async () => {
    const missing = join(sandbox.root, "typo.yaml");
    const expected = {
      code: 1,
      stdout: "",
      stderr: `error: config file not found: ${missing} (given with --config)\n  create it with: kpm init --config ${missing}\n`,
    };
    expect(await kpm(["list", "--config", missing])).toEqual(expected);
    expect(await kpm(["--config", missing, "env", "--plaintext"])).toEqual(expected);
    expect(await kpm(["shell-init", "--config", missing])).toEqual({
      code: 1,
      stdout: "",
      stderr: `error: config file not found: ${missing} (given with --config)\n`,
    });
  });

  test("without --config a missing default file still means an empty config", async () => {
    const result = await kpm(["list"]);
    expect(result.code).toBe(1);
    expect(result.stderr).toStartWith("error: server, cert, key, and ca are required");
  });
});

describe("secure_mode in config.yaml", () => {
  test("true is refused with the key named, on every command that reads the config", async () => {
    const path = join(sandbox.root, "secure-true.yaml");
    writeFileSync(path, "server: https://127.0.0.1:1\nsecure_mode: true\n", { mode: 0o600 });
    const expected = {
      code: 1,
      stdout: "",
      stderr:
        `error: config ${path}: secure_mode: true is not supported\n` +
        "  use kpm run --secure for each tool that should get only its allow-listed secrets, and remove secure_mode\n",
    };
    expect(await kpm(["--config", path, "list"])).toEqual(expected);
    expect(await kpm(["--config", path, "get", "llm/x"])).toEqual(expected);
    expect(await kpm(["--config", path, "env", "--plaintext"])).toEqual(expected);
    expect(await kpm(["--config", path, "run", "--from", path, "--", "true"])).toEqual(expected);
  });

  test("false (what init and quickstart write) is accepted", async () => {
    const path = join(sandbox.root, "secure-false.yaml");
    writeFileSync(path, "secure_mode: false\n", { mode: 0o600 });
    const template = join(sandbox.root, "plain.template");
    writeFileSync(template, "A=1\n");
    expect(await kpm(["--config", path, "env", "--from", template, "--plaintext"])).toEqual({
      code: 0,
      stdout: "A=1\n",
      stderr: "✓ Resolved 0 secrets from AgentKMS\n",
    });
  });
});

describe("kpm decrypt of something that is not a blob", () => {
  const SECRET = "sk-live-pasted-by-mistake-7f3a";

  test("says so without echoing the value, before looking for a listener", async () => {
    expect(await kpm(["decrypt", SECRET])).toEqual({
      code: 1,
      stdout: "",
      stderr:
        "kpm decrypt: the argument is not a kpm blob (expected ENC[kpm:…] or ENC[kpm-strict:…])\n" +
        "Run 'kpm show' to list the kpm-managed variables of this shell.\n",
    });
    const viaEnv = await kpm(["decrypt", "--env", "TOKEN"], { TOKEN: SECRET });
    expect(viaEnv.stderr).toStartWith("kpm decrypt: $TOKEN is not a kpm blob");
    expect(viaEnv.code).toBe(1);
    expect(viaEnv.stderr).not.toContain(SECRET);
  });
});

describe("kpm tree", () => {
  test("lists ai/* templates and counts includes as includes", async () => {
    const templates = join(sandbox.configHome, "kpm", "templates");
    mkdirSync(join(templates, "ai"), { recursive: true });
    writeFileSync(join(templates, "ai", "claude.template"), "ANTHROPIC_API_KEY=${kms:llm/anthropic}\n");
    writeFileSync(
      join(templates, "stack.template"),
      "${kms:include/ai/claude}\nDB=${kms:kv/db#password}\nGH=${kms:kv/github#token}\n",
    );
    const project = join(sandbox.root, "project");
    mkdirSync(project, { recursive: true });
    const result = await kpm(["tree"], {}, project);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain(
      `User: ${templates}\n` +
        `  ${"ai/claude.template".padEnd(25)} 1 secret [llm/anthropic]\n` +
        `  ${"stack.template".padEnd(25)} 2 secrets, 1 include [include/ai/claude, kv/db#password, kv/github#token]\n`,
    );
  });
});
