// `kpm completion bash|zsh|fish` (spec §12.4): the generated bash script is sourced in a real bash
// and its function called with COMP_WORDS/COMP_CWORD; every flag of every command definition must
// complete, and registry paths come from `kpm list --json` (silently nothing when that fails).
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { chmodSync, mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { createClient } from "@kpm/agentkms-client";
import type { ArgsDef } from "citty";
import type { KpmCommand } from "../apps/kpm/src/cli/command.ts";
import { commands } from "../apps/kpm/src/commands/index.ts";
import { bashScript } from "../apps/kpm/src/completion/bash.ts";
import { fishScript } from "../apps/kpm/src/completion/fish.ts";
import { flatten, loadCommandTree } from "../apps/kpm/src/completion/model.ts";
import { zshScript } from "../apps/kpm/src/completion/zsh.ts";
import {
  createSandbox,
  KPM_ENTRY,
  runKpmProcess,
  type Sandbox,
  startDevServerForTest,
  type TestDevServer,
  writeKpmConfig,
} from "./helpers/kpm-env.ts";
import { runToEnd } from "./helpers/run-to-end.ts";

let sandbox: Sandbox;
let server: TestDevServer;
let bin: string;
let script: string;

const kpm = (args: string[]) => runKpmProcess(args, { env: sandbox.env, cwd: sandbox.home });

/** Runs `body` in bash after sourcing the script; `t w1 w2 …` prints the completions of the last word. */
async function bash(
  body: string,
  env: Record<string, string> = {},
): Promise<{ stdout: string; stderr: string }> {
  const { stdout, stderr } = await runToEnd(
    [
      "bash",
      "--norc",
      "-c",
      `source <(kpm completion bash)
t() { COMP_WORDS=("$@"); COMP_CWORD=$((\${#COMP_WORDS[@]} - 1)); COMPREPLY=(); _kpm; printf '%s\\n' "\${COMPREPLY[*]}"; }
${body}`,
    ],
    {
      env: { ...sandbox.env, PATH: `${bin}:${sandbox.env.PATH}`, ...env },
      cwd: join(sandbox.root, "work"),
    },
  );
  return { stdout, stderr };
}

const words = (line: string | undefined) => (line ?? "").split(" ").filter((word) => word.length > 0);

beforeAll(async () => {
  sandbox = createSandbox();
  bin = join(sandbox.root, "bin");
  mkdirSync(bin);
  // `command kpm` in the script must find this kpm (from source, with the sandbox's HOME).
  writeFileSync(join(bin, "kpm"), `#!/bin/sh\nexec '${process.execPath}' '${KPM_ENTRY}' "$@"\n`);
  chmodSync(join(bin, "kpm"), 0o755);
  const work = join(sandbox.root, "work");
  mkdirSync(join(work, "tpl-dir"), { recursive: true });
  writeFileSync(join(work, "tpl-one.template"), "A=1\n");
  script = (await kpm(["completion", "bash"])).stdout;
});

afterAll(async () => {
  sandbox?.cleanup();
  await server?.remove();
});

describe("kpm completion", () => {
  test("no shell lists the shells; an unknown shell is refused with the list; usage errors exit 2", async () => {
    const none = await kpm(["completion"]);
    expect(none).toEqual({
      code: 2,
      stdout: "",
      stderr:
        "kpm completion: which shell? Use one of: bash, zsh, fish\nExample: source <(kpm completion bash)\n",
    });
    const tcsh = await kpm(["completion", "tcsh"]);
    expect(tcsh).toEqual({
      code: 2,
      stdout: "",
      stderr:
        "kpm completion: unsupported shell \"tcsh\" (use bash, zsh or fish)\nRun 'kpm completion --help' for usage.\n",
    });
  });

  test("--help prints the installation lines on stdout", async () => {
    const help = await kpm(["completion", "--help"]);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain("  bash:  echo 'source <(kpm completion bash)' >> ~/.bashrc\n");
    expect(help.stdout).toContain("  zsh:   echo 'source <(kpm completion zsh)' >> ~/.zshrc");
    expect(help.stdout).toContain("  fish:  kpm completion fish > ~/.config/fish/completions/kpm.fish\n");
  });

  test("each shell gets its own script on stdout", async () => {
    expect(script).toStartWith("# kpm completion for bash");
    const zsh = await kpm(["completion", "zsh"]);
    expect(zsh.stdout).toStartWith("#compdef kpm\n");
    expect(zsh.stdout).toContain("bashcompinit");
    const fish = await kpm(["completion", "fish"]);
    expect(fish.stdout).toContain("complete -c kpm -n '__fish_use_subcommand' -a quickstart");
    expect(fish.stdout).toContain("-l from -r -F");
  });
});

describe("the command tree behind every script", () => {
  test("holds every visible command, the alias and help, with path flags and registry-path positionals marked", async () => {
    const tree = await loadCommandTree();
    const all = flatten(tree);
    const byPath = new Map(all.map((spec) => [spec.path.join(" "), spec]));
    expect(byPath.has("_listen")).toBe(false);
    expect(byPath.get("export")?.flags).toEqual(byPath.get("env")?.flags);
    expect(byPath.has("dev secrets set")).toBe(true);
    expect(byPath.get("help")?.flags).toEqual([]);
    const isPath = (path: string, flag: string) =>
      byPath.get(path)?.flags.find((f) => f.name === flag)?.isPath;
    expect(isPath("env", "from")).toBe(true);
    expect(isPath("add", "from-file")).toBe(true);
    expect(isPath("run", "config")).toBe(true);
    expect(isPath("dev serve", "addr")).toBe(false);
    expect(byPath.get("list")?.flags.some((f) => f.name === "type")).toBe(true);
    expect(byPath.get("list")?.flags.some((f) => f.name === "v")).toBe(false);
    expect(
      all
        .filter((spec) => spec.completesSecretPaths)
        .map((spec) => spec.path.join(" "))
        .sort(),
    ).toEqual(["describe", "get", "history", "remove"]);
    expect(
      all
        .filter((spec) => spec.completesDirectory)
        .map((spec) => spec.path.join(" "))
        .sort(),
    ).toEqual(["config pull", "config push", "trust", "untrust"]);
    expect(bashScript(tree)).toBe(script);
    expect(zshScript(tree)).toContain(script.split("\n").slice(2).join("\n"));
    expect(fishScript(tree)).toContain(
      "complete -c kpm -n '__fish_seen_subcommand_from dev; and __fish_seen_subcommand_from secrets; " +
        "and not __fish_seen_subcommand_from set list delete' -a set",
    );
  });
});

describe("bash completion", () => {
  test("registers _kpm for kpm and completes commands, groups and subcommands", async () => {
    const { stdout, stderr } = await bash(`complete -p kpm
t kpm ''
t kpm de
t kpm dev ''
t kpm dev secrets ''
t kpm config p
t kpm --config x li
t kpm help qu`);
    expect(stderr).toBe("");
    const lines = stdout.split("\n");
    expect(lines[0]).toBe("complete -F _kpm kpm");
    const top = words(lines[1]);
    for (const name of [
      "quickstart",
      "config",
      "completion",
      "doctor",
      "dev",
      "env",
      "export",
      "run",
      "list",
      "help",
    ]) {
      expect(top).toContain(name);
    }
    expect(top).not.toContain("_listen");
    expect(words(lines[2])).toEqual(["decrypt", "describe", "dev"]);
    expect(words(lines[3]).sort()).toEqual(["enroll", "secrets", "serve", "status", "stop"]);
    expect(words(lines[4]).sort()).toEqual(["delete", "list", "set"]);
    expect(words(lines[5])).toEqual(["push", "pull"]);
    expect(words(lines[6])).toEqual(["list"]);
    expect(words(lines[7])).toEqual(["quickstart"]);
  });

  test("completes every flag of every command definition, plus the global flags", async () => {
    const expected: Array<[string, string[]]> = [];
    const collect = async (path: string[], command: KpmCommand) => {
      const own = Object.entries((command.args ?? {}) as ArgsDef)
        .filter(([, def]) => def.type !== "positional")
        .map(([name]) => `--${name}`);
      expected.push([
        path.join(" "),
        [...own, "--config", "--server", "--cert", "--key", "--ca", "--verbose"],
      ]);
      const table = command.subCommands;
      const subs = (typeof table === "function" ? await table() : await table) as
        | Record<string, unknown>
        | undefined;
      for (const [name, entry] of Object.entries(subs ?? {})) {
        const sub = (typeof entry === "function" ? await (entry as () => unknown)() : entry) as KpmCommand;
        await collect([...path, name], sub);
      }
    };
    for (const [name, loader] of Object.entries(commands)) {
      if (name !== "_listen" && name !== "_agent") await collect([name], await loader());
    }
    const { stdout } = await bash(expected.map(([path]) => `t kpm ${path} --`).join("\n"));
    const lines = stdout.split("\n");
    expected.forEach(([path, flags], index) => {
      const offered = words(lines[index]);
      for (const flag of flags)
        expect({ path, flag, offered: offered.includes(flag) }).toEqual({ path, flag, offered: true });
    });
    expect(expected.length).toBeGreaterThan(25);
  });

  test("path flags complete file names; value flags and run's child arguments complete nothing of kpm's", async () => {
    const { stdout } = await bash(`t kpm env --from tpl-
t kpm --config tpl-o
t kpm env --from = tpl-o
t kpm add --from-file tpl-o
t kpm dev serve --addr ''
t kpm run --secure -- printen
t kpm run printenv --
t kpm config push tpl-
t kpm list --tag x --j`);
    const lines = stdout.split("\n");
    expect(words(lines[0]).sort()).toEqual(["tpl-dir", "tpl-one.template"]);
    expect(words(lines[1])).toEqual(["tpl-one.template"]);
    expect(words(lines[2])).toEqual(["tpl-one.template"]);
    expect(words(lines[3])).toEqual(["tpl-one.template"]);
    expect(words(lines[4])).toEqual([]);
    expect(words(lines[5])).toContain("printenv");
    expect(words(lines[6])).toEqual([]);
    expect(words(lines[7])).toEqual(["tpl-dir"]);
    expect(words(lines[8])).toEqual(["--json"]);
  });

  test("describe/history/get/remove complete registry paths from kpm list --json, silently nothing when it fails", async () => {
    const failing = await bash("t kpm describe ''");
    expect(failing.stdout).toBe("\n");
    expect(failing.stderr).toBe("");

    server = await startDevServerForTest();
    writeKpmConfig(sandbox.home, server);
    const client = createClient({ server: server.addr, ...server.clientFiles });
    try {
      await client.writeSecret("demo/api-key", { value: "completion-marker-value" });
      await client.writeSecret("cloudflare/dns-token", { value: "completion-marker-value" });
    } finally {
      client.close();
    }
    const { stdout, stderr } = await bash(`t kpm describe ''
t kpm history cl
t kpm get ''
t kpm remove --yes de
t kpm list ''`);
    expect(stderr).toBe("");
    const lines = stdout.split("\n");
    expect(words(lines[0]).sort()).toEqual(["cloudflare/dns-token", "demo/api-key"]);
    expect(words(lines[1])).toEqual(["cloudflare/dns-token"]);
    expect(words(lines[2]).sort()).toEqual(["cloudflare/dns-token", "demo/api-key"]);
    expect(words(lines[3])).toEqual(["demo/api-key"]);
    expect(words(lines[4])).toEqual([]);
    expect(stdout).not.toContain("completion-marker-value");
  });
});

describe.skipIf(!Bun.which("zsh"))("zsh completion", () => {
  test("the script loads in zsh and registers kpm", async () => {
    const zsh = (await kpm(["completion", "zsh"])).stdout;
    const path = join(sandbox.root, "kpm.zsh");
    writeFileSync(path, zsh);
    const { code, stdout, stderr } = await runToEnd(
      ["zsh", "-f", "-c", `source ${path} && print -r -- \${_comps[kpm]}`],
      { env: sandbox.env },
    );
    expect(stderr).toBe("");
    expect(code).toBe(0);
    expect(stdout).toContain("_bash_complete");
  });
});

describe.skipIf(!Bun.which("fish"))("fish completion", () => {
  test("the script loads in fish and completes subcommands and flags", async () => {
    const fish = (await kpm(["completion", "fish"])).stdout;
    const path = join(sandbox.root, "kpm.fish");
    writeFileSync(path, fish);
    const { stdout, stderr } = await runToEnd(
      [
        "fish",
        "--no-config",
        "-c",
        `source ${path}; complete -C 'kpm dev '; echo ---; complete -C 'kpm list --'`,
      ],
      { env: sandbox.env },
    );
    expect(stderr).toBe("");
    const [dev = "", list = ""] = stdout.split("---\n");
    const devWords = dev.split("\n").map((line) => line.split("\t")[0]);
    expect(devWords).toContain("serve");
    expect(devWords).toContain("secrets");
    expect(list).toContain("--json");
    expect(list).toContain("--include-deleted");
  });
});
