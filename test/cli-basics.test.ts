// The CLI framework end to end (spec §3.2–§3.4, §12.3), spawned from source with a temp HOME and
// a clean environment: usage and help, unknown commands and flags, version, global flags on
// either side of the command, and `kpm init`'s exact file.
import { afterEach, beforeEach, describe, expect, test } from "bun:test";
import { mkdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { runKpm } from "./helpers/run-kpm.ts";
import { type TempHome, tempHome } from "./helpers/temp-home.ts";

/** §3.4's usage text, with the resolved config path and templates dir substituted. */
function expectedUsage(configPath: string, templatesDir: string): string {
  return `kpm — secure secrets CLI backed by AgentKMS

Usage:
  kpm quickstart                    Start a local AgentKMS dev server and configure kpm
  kpm shell-init                    Print the shell hook that loads encrypted secrets
  kpm add <service/name>            Store a secret (prompt, stdin or --from-file)
  kpm list [service]                List secrets (metadata only)
  kpm describe <service/name>       Show a secret's metadata
  kpm history <service/name>        Show a secret's version history
  kpm remove <service/name>         Delete a secret (--purge removes all versions)
  kpm env [flags]                   Print env lines for a template (alias: export)
  kpm run [flags] -- <cmd> [args]   Run a command with its secrets injected
  kpm get <ref>                     Print one secret value
  kpm decrypt [--env VAR | <blob>]  Decrypt one ENC[...] value via the session listener
  kpm init                          Write a starter config file
  kpm tree                          Show the template hierarchy
  kpm show [VAR_NAME] [--profile]   Show kpm-managed variables (never values)
  kpm profile                       Show merged profile variables
  kpm trust [dir]                   Let kpm use a project's .kpm files (--list shows them)
  kpm untrust [dir]                 Stop using a project's .kpm files
  kpm allow <tool>                  Pin a tool in your --secure allow-list
  kpm scan [paths…]                 Find exposed secrets in files (redacted report)
  kpm import <file>                 Move a .env file's secrets into AgentKMS (writes a template)
  kpm config push [dir]             Upload templates to AgentKMS
  kpm config pull [dir]             Download templates from AgentKMS
  kpm dev <command>                 Embedded AgentKMS dev server (serve, enroll, secrets, stop, status)
  kpm completion <shell>            Print shell completion (bash, zsh, fish)
  kpm version                       Print the version

Global flags (before or after the command):
  --config <path>   Config file (default: ${configPath})
  --server <url>    AgentKMS server URL
  --cert <path>     Client certificate
  --key <path>      Client private key
  --ca <path>       CA certificate
  --verbose, -v     Debug output (never prints secrets)

Examples:
  kpm add cloudflare/dns-token
  echo "sk-xxx" | kpm add anthropic/api-key
  kpm list
  kpm list --tag ci
  eval "$(kpm env --from ${templatesDir}/shell-env.template --output shell)"
  kpm run --secure -- claude
`;
}

const FIRST_USAGE_LINE = "kpm — secure secrets CLI backed by AgentKMS";

let sandbox: TempHome;
beforeEach(() => {
  sandbox = tempHome();
});
afterEach(() => sandbox.cleanup());

const kpm = (args: string[], options: { cwd?: string; env?: Record<string, string | undefined> } = {}) =>
  runKpm(args, { env: options.env ?? sandbox.env, cwd: options.cwd });

function usageFor(box: TempHome): string {
  return expectedUsage(join(box.configDir, "config.yaml"), join(box.configDir, "templates"));
}

describe("usage and help", () => {
  test("no arguments prints the usage on stderr and exits 2 (a usage error)", async () => {
    const result = await kpm([]);
    expect(result).toEqual({ code: 2, stdout: "", stderr: usageFor(sandbox) });
  });

  for (const args of [["help"], ["--help"], ["-h"], ["-help"]]) {
    test(`${args.join(" ")} prints the full usage on stdout and exits 0`, async () => {
      const result = await kpm(args);
      expect(result.code).toBe(0);
      expect(result.stderr).toBe("");
      expect(result.stdout.split("\n")[0]).toBe(FIRST_USAGE_LINE);
      expect(result.stdout).toBe(usageFor(sandbox));
    });
  }

  test("the usage names the XDG config dir even before it exists", async () => {
    const result = await kpm(["help"]);
    expect(result.stdout).toContain(`(default: ${sandbox.configHome}/kpm/config.yaml)`);
  });

  test("without XDG variables the usage names ~/.config/kpm", async () => {
    const env = { HOME: sandbox.home, PATH: sandbox.env.PATH };
    const result = await kpm(["--help"], { env });
    expect(result.stdout).toContain(`(default: ${sandbox.home}/.config/kpm/config.yaml)`);
    expect(result.stdout).toContain(`--from ${sandbox.home}/.config/kpm/templates/shell-env.template`);
  });

  test("with KPM_CONFIG naming a file the usage still prints, with placeholders", async () => {
    const file = join(sandbox.root, "not-a-dir.yaml");
    writeFileSync(file, "");
    const result = await kpm(["help"], { env: { ...sandbox.env, KPM_CONFIG: file } });
    expect(result.code).toBe(0);
    expect(result.stdout).toBe(expectedUsage("<ConfigDir>/config.yaml", "<TemplatesDir>"));
  });

  for (const args of [
    ["help", "init"],
    ["init", "--help"],
    ["init", "-h"],
  ]) {
    test(`${args.join(" ")} prints init's usage and examples on stdout, exit 0, writing nothing`, async () => {
      const result = await kpm(args);
      expect(result.code).toBe(0);
      expect(result.stderr).toBe("");
      expect(result.stdout.split("\n")[0]).toBe("Usage: kpm init");
      expect(result.stdout).toContain("Write a starter config file");
      expect(result.stdout).toContain("\nExamples:\n  kpm init --server https://agentkms.example:8443");
      expect(result.stdout).toContain(
        "Global flags: --config, --server, --cert, --key, --ca, --verbose (-v)",
      );
      expect(() => statSync(sandbox.configDir)).toThrow();
    });
  }

  test("help for an alias uses the name as typed", async () => {
    const result = await kpm(["help", "export"]);
    expect(result.code).toBe(0);
    expect(result.stdout.split("\n")[0]).toStartWith("Usage: kpm export");
  });

  test("help for an unknown command is a usage error with a hint, exit 2", async () => {
    const result = await kpm(["help", "frobnicate"]);
    expect(result).toEqual({
      code: 2,
      stdout: "",
      stderr: "unknown command: frobnicate\nRun 'kpm help' for the list of commands.\n",
    });
  });

  test("a group's --help prints the group usage", async () => {
    const result = await kpm(["dev", "--help"]);
    expect(result.code).toBe(0);
    expect(result.stdout.split("\n")[0]).toStartWith("Usage: kpm dev");
  });

  test("a subcommand's --help prints the subcommand usage", async () => {
    const result = await kpm(["dev", "status", "--help"]);
    expect(result.code).toBe(0);
    expect(result.stdout.split("\n")[0]).toStartWith("Usage: kpm dev status");
  });
});

describe("unknown commands and flags", () => {
  test("an unknown command prints its name and where the commands are listed; exit 2", async () => {
    const result = await kpm(["frobnicate"]);
    expect(result).toEqual({
      code: 2,
      stdout: "",
      stderr: "unknown command: frobnicate\nRun 'kpm help' for the list of commands.\n",
    });
  });

  test("an unknown flag before the command exits 2 with no usage hint", async () => {
    const result = await kpm(["--bogus", "init"]);
    expect(result).toEqual({ code: 2, stdout: "", stderr: "flag provided but not defined: -bogus\n" });
  });

  test("a command's own flag before the command is unknown there", async () => {
    const result = await kpm(["--json", "list"]);
    expect(result).toEqual({ code: 2, stdout: "", stderr: "flag provided but not defined: -json\n" });
  });

  test("an unknown flag after the command prints the two lines and exits 2", async () => {
    const result = await kpm(["init", "--bogus"]);
    expect(result).toEqual({
      code: 2,
      stdout: "",
      stderr: "flag provided but not defined: -bogus\nRun 'kpm init --help' for usage.\n",
    });
    expect(() => statSync(sandbox.configDir)).toThrow();
  });

  test("an unknown flag after a group's subcommand names the full command in the hint", async () => {
    const result = await kpm(["dev", "status", "--bogus"]);
    expect(result.code).toBe(2);
    expect(result.stderr).toBe(
      "flag provided but not defined: -bogus\nRun 'kpm dev status --help' for usage.\n",
    );
  });

  test("an unknown flag between a group and its subcommand names the group in the hint", async () => {
    const result = await kpm(["dev", "--bogus", "status"]);
    expect(result).toEqual({
      code: 2,
      stdout: "",
      stderr: "flag provided but not defined: -bogus\nRun 'kpm dev --help' for usage.\n",
    });
  });

  test("a value flag without its value exits 2 (after the command: with the hint)", async () => {
    const result = await kpm(["init", "--server"]);
    expect(result).toEqual({
      code: 2,
      stdout: "",
      stderr: "flag needs an argument: -server\nRun 'kpm init --help' for usage.\n",
    });
  });

  test("a value flag without its value before the command exits 2 without the hint", async () => {
    const result = await kpm(["--config"]);
    expect(result).toEqual({ code: 2, stdout: "", stderr: "flag needs an argument: -config\n" });
  });

  test("an invalid boolean value exits 2 with Go's text", async () => {
    const result = await kpm(["init", "--verbose=maybe"]);
    expect(result).toEqual({
      code: 2,
      stdout: "",
      stderr: "invalid boolean value \"maybe\" for -verbose\nRun 'kpm init --help' for usage.\n",
    });
  });
});

describe("version", () => {
  const manifest = JSON.parse(readFileSync(join(import.meta.dir, "../apps/kpm/package.json"), "utf8")) as {
    version: string;
  };
  const head = Bun.spawnSync(["git", "rev-parse", "--short=12", "HEAD"], { cwd: import.meta.dir });
  const SOURCE_VERSION = `kpm ${manifest.version} (commit ${head.stdout.toString().trim()}, from source)\n`;

  for (const args of [["--version"], ["version"], ["-version"]]) {
    test(`${args.join(" ")} prints the package version and the git commit from source`, async () => {
      const result = await kpm(args);
      expect(result).toEqual({ code: 0, stdout: SOURCE_VERSION, stderr: "" });
    });
  }

  test("`--` before the command ends the leading flags", async () => {
    const result = await kpm(["--", "version"]);
    expect(result).toEqual({ code: 0, stdout: SOURCE_VERSION, stderr: "" });
  });
});

const INIT_STDERR = (path: string) =>
  `✓ Config written to ${path}\n  Edit it with your AgentKMS server details and cert paths.\n`;

function initFile(lines: { server: string; cert: string; key: string; ca: string }): string {
  return [
    "# KPM Configuration",
    "# Generated by: kpm init",
    `server: ${lines.server}`,
    `cert: ${lines.cert}`,
    `key: ${lines.key}`,
    `ca: ${lines.ca}`,
    "default_template: .env.template",
    "secure_mode: false",
    "session_key_ttl: 3600",
    "",
  ].join("\n");
}

describe("kpm init", () => {
  test("writes §12.3's file (0600) in a new 0700 config dir and reports on stderr", async () => {
    const path = join(sandbox.configDir, "config.yaml");
    const result = await kpm(["init"]);
    expect(result).toEqual({ code: 0, stdout: "", stderr: INIT_STDERR(path) });
    const certs = join(sandbox.dataDir, "certs");
    expect(readFileSync(path, "utf8")).toBe(
      initFile({
        server: "https://127.0.0.1:8443",
        cert: `${certs}/client.crt`,
        key: `${certs}/client.key`,
        ca: `${certs}/ca.crt`,
      }),
    );
    expect(statSync(path).mode & 0o777).toBe(0o600);
    expect(statSync(sandbox.configDir).mode & 0o777).toBe(0o700);
  });

  test("a second init refuses to overwrite: config already exists, exit 1", async () => {
    const path = join(sandbox.configDir, "config.yaml");
    expect((await kpm(["init"])).code).toBe(0);
    writeFileSync(path, "server: https://kept:1\n");
    const result = await kpm(["init"]);
    expect(result).toEqual({ code: 1, stdout: "", stderr: `config already exists: ${path}\n` });
    expect(readFileSync(path, "utf8")).toBe("server: https://kept:1\n");
  });

  test("a relative --config before the command resolves against the current directory", async () => {
    const cwd = join(sandbox.root, "work");
    mkdirSync(cwd);
    const result = await kpm(["--config", "rel.yaml", "init"], { cwd });
    const path = join(cwd, "rel.yaml");
    expect(result).toEqual({ code: 0, stdout: "", stderr: INIT_STDERR(path) });
    expect(readFileSync(path, "utf8")).toStartWith("# KPM Configuration\n");
    expect(() => statSync(sandbox.configDir)).toThrow();
  });

  test("--config=<nested path> creates the missing parent directory with mode 0700", async () => {
    const path = join(sandbox.root, "a", "b", "kpm.yaml");
    const result = await kpm([`--config=${path}`, "init"]);
    expect(result.code).toBe(0);
    expect(statSync(join(sandbox.root, "a", "b")).mode & 0o777).toBe(0o700);
    expect(statSync(path).mode & 0o777).toBe(0o600);
  });

  test("global flags after the command fill the file; path flags expand ~ and resolve against cwd", async () => {
    const cwd = join(sandbox.root, "proj");
    mkdirSync(cwd);
    const result = await kpm(
      ["init", "--server", "https://x:1", "--cert", "~/c.crt", "-key=k.key", "--ca", "/abs/ca.crt"],
      { cwd },
    );
    expect(result.code).toBe(0);
    expect(readFileSync(join(sandbox.configDir, "config.yaml"), "utf8")).toBe(
      initFile({
        server: "https://x:1",
        cert: join(sandbox.home, "c.crt"),
        key: join(cwd, "k.key"),
        ca: "/abs/ca.crt",
      }),
    );
  });

  test("global flags are accepted before the command too", async () => {
    const result = await kpm(["--server", "https://before:2", "init"]);
    expect(result.code).toBe(0);
    expect(readFileSync(join(sandbox.configDir, "config.yaml"), "utf8")).toContain(
      "server: https://before:2\n",
    );
  });

  for (const args of [
    ["-v", "init"],
    ["init", "-v"],
    ["--verbose=false", "init"],
    ["init", "-verbose"],
  ]) {
    test(`${args.join(" ")} is accepted`, async () => {
      const result = await kpm(args);
      expect(result.code).toBe(0);
      expect(result.stderr).toStartWith("✓ Config written to ");
    });
  }

  test("KPM_CONFIG naming a file is refused with §4.1's text, exit 1", async () => {
    const file = join(sandbox.root, "config.yaml");
    writeFileSync(file, "");
    const result = await kpm(["init"], { env: { ...sandbox.env, KPM_CONFIG: file } });
    expect(result).toEqual({
      code: 1,
      stdout: "",
      stderr: `error: KPM_CONFIG must name a directory (got file ${file}); use --config for a file\n`,
    });
  });

  test("a legacy ~/.kpm/config.yaml is the config init finds", async () => {
    const legacy = join(sandbox.home, ".kpm");
    mkdirSync(legacy);
    writeFileSync(join(legacy, "config.yaml"), "server: https://legacy:1\n");
    const result = await kpm(["init"], { env: { HOME: sandbox.home, PATH: sandbox.env.PATH } });
    expect(result).toEqual({
      code: 1,
      stdout: "",
      stderr: `config already exists: ${join(legacy, "config.yaml")}\n`,
    });
  });

  test("a config path inside a regular file fails with the operation and reason, exit 1", async () => {
    const blocker = join(sandbox.root, "file");
    writeFileSync(blocker, "");
    const path = join(blocker, "config.yaml");
    const result = await kpm(["--config", path, "init"]);
    expect(result.code).toBe(1);
    expect(result.stdout).toBe("");
    expect(result.stderr).toMatch(
      new RegExp(`^error: write config ${path}: (not a directory|file exists)\\n$`),
    );
  });
});
