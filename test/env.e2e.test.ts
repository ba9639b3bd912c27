// End-to-end proof of `kpm env` / `kpm export` (spec §8.1), `kpm shell-init` (§8.6) and the
// no-key-material-on-disk properties of §7.4 and §18 items 1, 4, 5 and 24: the real CLI from
// source against a real `kpm dev serve`, in an isolated HOME and TMPDIR.
// biome-ignore-all lint/suspicious/noTemplateCurlyInString: templates spell ${kms:…} references literally
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { createHash } from "node:crypto";
import { existsSync, lstatSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import {
  createSandbox,
  type Fixture,
  KPM_ENTRY,
  type KpmResult,
  parseShellExports,
  runKpmProcess,
  type Sandbox,
  startFixture,
  type TestDevServer,
  writeKpmConfig,
} from "./helpers/kpm-env.ts";

// Planted values: if any of them shows up in a file, an argv or a listener's environment, a
// secret leaked.
const ANTHROPIC = "sk-env-marker-anthropic-7f3a91";
const DB_PASSWORD = "pw-env-marker-c0ffee-42";
const TRICKY = "multi\nline\rvalue";

let fixture: Fixture;
let server: TestDevServer;
let sandbox: Sandbox;

beforeAll(async () => {
  fixture = await startFixture({
    "llm/anthropic": { api_key: ANTHROPIC },
    "generic/db/prod": { password: DB_PASSWORD, user: "app" },
    "generic/tricky": { value: TRICKY },
  });
  ({ server, sandbox } = fixture);
  writeTemplate(
    "app.template",
    [
      "# comment lines are not entries",
      "ANTHROPIC_API_KEY=${kms:llm/anthropic}",
      "APP_NAME=my-service",
      "DB_PASSWORD=${kms:kv/db/prod#password}",
      "DB_FALLBACK=${kms:kv/db/prod#nope:-fallback-value}",
    ].join("\n"),
  );
});

afterAll(async () => {
  await fixture?.close();
});

function writeTemplate(name: string, text: string): string {
  const path = join(sandbox.home, name);
  writeFileSync(path, `${text}\n`);
  return path;
}

function env(args: string[], extraEnv: Record<string, string | undefined> = {}): Promise<KpmResult> {
  return runKpmProcess(args, { env: { ...sandbox.env, ...extraEnv }, cwd: sandbox.home });
}

/** The runtime dir's entries (sockets and session records), or none when it does not exist. */
function runtimeEntries(): string[] {
  return existsSync(sandbox.runtimeDir) ? readdirSync(sandbox.runtimeDir).sort() : [];
}

function sessionFiles(sessionId: string): string[] {
  return [`${sessionId}.json`, `${sessionId}.sock`];
}

const BLOB = /^ENC\[kpm:(s[0-9a-f]{8}):[A-Za-z0-9+/]+={0,2}\]$/;

describe("kpm env default output", () => {
  test("dotenv --listener prints blobs for KMS entries, plain values bare, then the session lines", async () => {
    const result = await env(["env", "--from", "app.template", "--listener"]);
    expect(result.code).toBe(0);
    const lines = result.stdout.split("\n");
    expect(lines.at(-1)).toBe("");
    const [anthropic, app, db, fallback, session, socket, template] = lines;
    const sessionId = BLOB.exec(anthropic?.slice("ANTHROPIC_API_KEY=".length) ?? "")?.[1];
    expect(sessionId).toBeDefined();
    expect(anthropic?.startsWith("ANTHROPIC_API_KEY=ENC[kpm:")).toBe(true);
    expect(app).toBe("APP_NAME=my-service");
    expect(db).toMatch(new RegExp(`^DB_PASSWORD=ENC\\[kpm:${sessionId}:`));
    // A value that came from a default is encrypted like any other KMS value (§8.1 step 4).
    expect(fallback).toMatch(new RegExp(`^DB_FALLBACK=ENC\\[kpm:${sessionId}:`));
    const socketPath = join(sandbox.runtimeDir, `${sessionId}.sock`);
    expect(session).toBe(`KPM_SESSION=${sessionId}`);
    expect(socket).toBe(`KPM_DECRYPT_SOCK=${socketPath}`);
    expect(template).toBe(`KPM_TEMPLATE=${join(sandbox.home, "app.template")}`);
    expect(lines).toHaveLength(8);
    expect(result.stderr).toBe(
      [
        "✓ Resolved 3 secrets from AgentKMS",
        `✓ Encrypted values (AES-256-GCM, session: ${sessionId}, TTL: 3600s)`,
        `✓ Decrypt listener: ${socketPath}`,
        "",
      ].join("\n"),
    );
    expect(runtimeEntries()).toEqual(expect.arrayContaining(sessionFiles(sessionId ?? "")));
    expect(result.stdout).not.toContain(ANTHROPIC);
    expect(result.stdout).not.toContain(DB_PASSWORD);
  });

  test("the same blob decrypts through the listener the env started (round trip)", async () => {
    const exported = parseShellExports(
      (await env(["env", "--from", "app.template", "--output", "shell"])).stdout,
    );
    const decrypted = await env(["decrypt", "--env", "DB_PASSWORD"], exported);
    expect(decrypted).toEqual({ code: 0, stdout: DB_PASSWORD, stderr: "" });
    const fallback = await env(["decrypt", "--env", "DB_FALLBACK"], exported);
    expect(fallback.stdout).toBe("fallback-value");
  });

  test("shell output writes export KEY='value' lines with the session lines last", async () => {
    const result = await env(["env", "--from", "app.template", "--output", "shell"]);
    expect(result.code).toBe(0);
    const lines = result.stdout.trimEnd().split("\n");
    expect(lines.map((line) => /^export ([A-Z_]+)='/.exec(line)?.[1])).toEqual([
      "ANTHROPIC_API_KEY",
      "APP_NAME",
      "DB_PASSWORD",
      "DB_FALLBACK",
      "KPM_SESSION",
      "KPM_DECRYPT_SOCK",
      "KPM_TEMPLATE",
    ]);
    const vars = parseShellExports(result.stdout);
    expect(vars.APP_NAME).toBe("my-service");
    expect(vars.ANTHROPIC_API_KEY).toMatch(BLOB);
    expect(lines[4]).toBe(`export KPM_SESSION='${vars.KPM_SESSION}'`);
    expect(lines[5]).toBe(
      `export KPM_DECRYPT_SOCK='${join(sandbox.runtimeDir, `${vars.KPM_SESSION}.sock`)}'`,
    );
    expect(lines[6]).toBe(`export KPM_TEMPLATE='${join(sandbox.home, "app.template")}'`);
  });

  test("json output is one object with keys sorted by code point, 2-space indent, session keys included", async () => {
    writeTemplate("order.template", "b=${kms:llm/anthropic}\nZ=upper\n_u=under\nA_VALUE=<a&b>");
    const result = await env(["env", "--from", "order.template", "--output", "JSON", "--listener"]);
    expect(result.code).toBe(0);
    const parsed = JSON.parse(result.stdout) as Record<string, string>;
    expect(Object.keys(parsed)).toEqual([
      "A_VALUE",
      "KPM_DECRYPT_SOCK",
      "KPM_SESSION",
      "KPM_TEMPLATE",
      "Z",
      "_u",
      "b",
    ]);
    expect(result.stdout).toBe(`${JSON.stringify(parsed, null, 2)}\n`);
    // No HTML escaping of <, > and & (§8.1 step 6).
    expect(result.stdout).toContain('"A_VALUE": "<a&b>"');
    expect(parsed.b).toMatch(BLOB);
    expect(parsed.KPM_DECRYPT_SOCK).toBe(join(sandbox.runtimeDir, `${parsed.KPM_SESSION}.sock`));
  });

  test("export is an alias of env", async () => {
    const result = await env(["export", "--from", "app.template", "--output", "shell"]);
    expect(result.code).toBe(0);
    const vars = parseShellExports(result.stdout);
    expect(Object.keys(vars)).toEqual([
      "ANTHROPIC_API_KEY",
      "APP_NAME",
      "DB_PASSWORD",
      "DB_FALLBACK",
      "KPM_SESSION",
      "KPM_DECRYPT_SOCK",
      "KPM_TEMPLATE",
    ]);
    expect(result.stderr.split("\n")[0]).toBe("✓ Resolved 3 secrets from AgentKMS");
  });
});

describe("kpm env value quoting", () => {
  // Plain entries go through the same dotenv quoting as secrets (§8.1 step 6).
  const template = [
    "BARE=abc-123_x.y/z:~!%&()*+,;<=>?@[]^{|}",
    "SPACE=has space",
    'DQUOTE=a"b',
    "SQUOTE=it's",
    "BACKSLASH=back\\slash",
    "DOLLAR=$HOME",
    "BACKTICK=tick`x",
    "HASH=hash#x",
    "EMPTY=",
    "UNICODE=grüße",
    "TRICKY=${kms:kv/tricky}",
  ].join("\n");

  test("plaintext dotenv starts with the warning header and quotes exactly the values that need it", async () => {
    writeTemplate("quote.template", template);
    const result = await env(["env", "--from", "quote.template", "--plaintext"]);
    expect(result.code).toBe(0);
    expect(result.stdout).toBe(
      [
        "# WARNING: contains plaintext secrets — do not commit",
        "# Generated by kpm export",
        "",
        "BARE=abc-123_x.y/z:~!%&()*+,;<=>?@[]^{|}",
        'SPACE="has space"',
        'DQUOTE="a\\"b"',
        `SQUOTE="it's"`,
        'BACKSLASH="back\\\\slash"',
        'DOLLAR="\\$HOME"',
        'BACKTICK="tick\\`x"',
        'HASH="hash#x"',
        'EMPTY=""',
        'UNICODE="grüße"',
        'TRICKY="multi\\nline\\rvalue"',
        "",
      ].join("\n"),
    );
    expect(result.stderr).toBe(
      "✓ Resolved 1 secret from AgentKMS\n✓ Plaintext output (--plaintext flag set)\n",
    );
    expect(runtimeEntries().filter((name) => name.endsWith(".sock")).length).toBe(
      runtimeEntries().filter((name) => name.endsWith(".json")).length,
    );
  });

  test("plaintext starts no listener", async () => {
    const before = runtimeEntries();
    const result = await env(["env", "--from", "quote.template", "--plaintext", "--output", "json"]);
    expect(result.code).toBe(0);
    expect(runtimeEntries()).toEqual(before);
    const parsed = JSON.parse(result.stdout) as Record<string, string>;
    expect(parsed.TRICKY).toBe(TRICKY);
    expect(parsed.KPM_SESSION).toBeUndefined();
  });

  test("shell output single-quotes every value and writes ' as '\\''", async () => {
    const result = await env(["env", "--from", "quote.template", "--plaintext", "--output", "shell"]);
    expect(result.stdout).toContain("export SQUOTE='it'\\''s'\n");
    expect(result.stdout).toContain("export DOLLAR='$HOME'\n");
    expect(result.stdout).toContain("export EMPTY=''\n");
    // What a POSIX shell reads back from eval is the exact original value.
    const probe = Bun.spawn(
      ["sh", "-c", `eval "$KPM_OUT"; printf '%s|%s|%s' "$SQUOTE" "$DOLLAR" "$TRICKY"`],
      {
        env: { PATH: sandbox.env.PATH, KPM_OUT: result.stdout },
        stdout: "pipe",
      },
    );
    expect(await new Response(probe.stdout).text()).toBe(`it's|$HOME|${TRICKY}`);
  });
});

describe("kpm env failures", () => {
  test("an unknown --output is refused before any work, with no listener started", async () => {
    const before = runtimeEntries();
    const result = await env(["env", "--from", "app.template", "--output", "x"]);
    expect(result).toEqual({
      code: 2,
      stdout: "",
      stderr:
        "kpm env: unknown --output \"x\" (use dotenv, shell or json)\nRun 'kpm env --help' for usage.\n",
    });
    expect(runtimeEntries()).toEqual(before);
  });

  test("--strict with --plaintext is refused as a usage error, exit 2", async () => {
    const result = await env(["env", "--from", "app.template", "--strict", "--plaintext"]);
    expect(result).toEqual({
      code: 2,
      stdout: "",
      stderr:
        "kpm: --strict and --plaintext are mutually exclusive: cannot use both flags together\n" +
        "Run 'kpm env --help' for usage.\n",
    });
  });

  test("env --secure and export --secure exit 2 naming the command", async () => {
    expect(await env(["env", "--secure", "--from", "app.template"])).toEqual({
      code: 2,
      stdout: "",
      stderr: "kpm env: --secure is only supported by kpm run\nUse: kpm run --secure -- <tool>\n",
    });
    const viaExport = await env(["export", "--secure"]);
    expect(viaExport.code).toBe(2);
    expect(viaExport.stderr).toBe(
      "kpm export: --secure is only supported by kpm run\nUse: kpm run --secure -- <tool>\n",
    );
  });

  test("a failing entry prints one error line per failing variable, nothing on stdout and leaves no listener", async () => {
    writeTemplate(
      "broken.template",
      [
        "GOOD=${kms:llm/anthropic}",
        "MISSING_KEY=${kms:kv/db/prod#nope}",
        "PLAIN=x",
        "MISSING_PATH=${kms:kv/no/such/path#k}",
      ].join("\n"),
    );
    const before = runtimeEntries();
    const result = await env(["env", "--from", "broken.template", "--output", "shell"]);
    expect(result.code).toBe(1);
    expect(result.stdout).toBe("");
    const lines = result.stderr.trimEnd().split("\n");
    expect(lines).toEqual([
      'error: resolve MISSING_KEY: key "nope" not found at path "db/prod"',
      expect.stringMatching(/^error: resolve MISSING_PATH: /),
    ]);
    expect(result.stderr).not.toContain(ANTHROPIC);
    expect(result.stderr).not.toContain(DB_PASSWORD);
    expect(runtimeEntries()).toEqual(before);
  });

  test("an unreachable server fails the whole env: exit 1, empty stdout, no listener", async () => {
    const other = createSandbox();
    try {
      writeKpmConfig(other.home, { addr: "https://127.0.0.1:1", clientFiles: server.clientFiles });
      writeFileSync(join(other.home, "t.template"), "A=${kms:llm/anthropic}\nB=plain\n");
      const result = await runKpmProcess(["env", "--from", "t.template", "--output", "shell"], {
        env: other.env,
      });
      expect(result.code).toBe(1);
      expect(result.stdout).toBe("");
      // Authentication is the first request, so it names the failure (§6.1, §6.5).
      expect(result.stderr).toBe(
        "error: resolve A: authenticate: connection refused (https://127.0.0.1:1) — is AgentKMS running?\n",
      );
      expect(existsSync(other.runtimeDir) ? readdirSync(other.runtimeDir) : []).toEqual([]);
    } finally {
      other.cleanup();
    }
  });
});

describe("kpm env without KMS entries", () => {
  test("prints the plain entries and 'Resolved 0', needs no config and starts no session", async () => {
    const bare = createSandbox();
    try {
      writeFileSync(join(bare.home, "plain.template"), "ONE=1\nTWO=two words\n");
      const result = await runKpmProcess(["env", "--from", "plain.template"], { env: bare.env });
      expect(result).toEqual({
        code: 0,
        stdout: 'ONE=1\nTWO="two words"\n',
        stderr: "✓ Resolved 0 secrets from AgentKMS\n",
      });
      const shell = await runKpmProcess(["env", "--from", "plain.template", "--output", "shell"], {
        env: bare.env,
      });
      expect(shell.stdout).toBe("export ONE='1'\nexport TWO='two words'\n");
      expect(existsSync(bare.runtimeDir)).toBe(false);
    } finally {
      bare.cleanup();
    }
  });
});

/** Every file and directory under `root` with its kind and a content hash (sockets: kind only). */
function snapshot(root: string): Map<string, string> {
  const entries = new Map<string, string>();
  const walk = (dir: string) => {
    for (const name of readdirSync(dir)) {
      const path = join(dir, name);
      const stat = lstatSync(path);
      if (stat.isDirectory()) {
        entries.set(path, "dir");
        walk(path);
      } else if (stat.isFile()) {
        entries.set(path, createHash("sha256").update(readFileSync(path)).digest("hex"));
      } else {
        entries.set(path, stat.isSocket() ? "socket" : "other");
      }
    }
  };
  walk(root);
  return entries;
}

function filesContaining(root: string, needles: string[]): string[] {
  return [...snapshot(root).entries()]
    .filter(([, kind]) => kind !== "dir" && kind !== "socket")
    .map(([path]) => path)
    .filter((path) => {
      const text = readFileSync(path, "latin1");
      return needles.some((needle) => text.includes(needle));
    });
}

describe("no key material on disk (§7.4, §18)", () => {
  test("kpm env adds exactly <sid>.sock and <sid>.json; the listener's argv and environment hold no secret", async () => {
    // Make sure the runtime dir exists, so the snapshot diff is only this session's files.
    mkdirSync(sandbox.runtimeDir, { recursive: true, mode: 0o700 });
    const before = snapshot(sandbox.root);
    const inheritedBlob = "ENC[kpm:s00000000:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA]";
    // --listener: an earlier test's session, which a plain reload would replace, stays put.
    const result = await env(["env", "--from", "app.template", "--output", "shell", "--listener"], {
      LEAKY_SECRET: ANTHROPIC,
      OLD_BLOB: inheritedBlob,
      BUN_CONFIG_VERBOSE_FETCH: "0",
      KPM_DEBUG: undefined,
    });
    expect(result.code).toBe(0);
    const { KPM_SESSION: sessionId = "" } = parseShellExports(result.stdout);
    const after = snapshot(sandbox.root);
    const added = [...after.keys()].filter((path) => !before.has(path)).sort();
    const removed = [...before.keys()].filter((path) => !after.has(path));
    const changed = [...before.keys()].filter(
      (path) => after.has(path) && after.get(path) !== before.get(path),
    );
    expect(added).toEqual(sessionFiles(sessionId).map((name) => join(sandbox.runtimeDir, name)));
    expect(removed).toEqual([]);
    expect(changed).toEqual([]);
    expect(after.get(join(sandbox.runtimeDir, `${sessionId}.sock`))).toBe("socket");
    expect(lstatSync(join(sandbox.runtimeDir, `${sessionId}.sock`)).mode & 0o777).toBe(0o600);
    expect(lstatSync(join(sandbox.runtimeDir, `${sessionId}.json`)).mode & 0o777).toBe(0o600);

    const record = JSON.parse(readFileSync(join(sandbox.runtimeDir, `${sessionId}.json`), "utf8")) as {
      pid: number;
    };
    expect(Object.keys(record)).toEqual([
      "session",
      "pid",
      "socket",
      "strict",
      "created_at",
      "expires_at",
      "idle_timeout",
      "owner",
      "replaceable",
    ]);

    // argv is exactly bun + flags + entry + `_listen --session <sid>` (from source, §7.4 step 1).
    const argv = readFileSync(`/proc/${record.pid}/cmdline`, "utf8").split("\0").slice(0, -1);
    expect(argv).toEqual([
      process.execPath,
      "--no-env-file",
      "--config=/dev/null",
      KPM_ENTRY,
      "_listen",
      "--session",
      sessionId,
    ]);
    const environ = readFileSync(`/proc/${record.pid}/environ`, "utf8").split("\0").filter(Boolean);
    const names = environ.map((entry) => entry.slice(0, entry.indexOf("=")));
    const allowed = ["HOME", "USER", "PATH", "TMPDIR", "XDG_RUNTIME_DIR", "LANG", "LC_ALL"];
    expect(names.filter((name) => !allowed.includes(name))).toEqual([]);
    expect(environ.join("\n")).not.toContain(ANTHROPIC);
    expect(environ.join("\n")).not.toContain("ENC[");

    // Planted values never reach a file under HOME, TMPDIR or the runtime dir.
    expect(filesContaining(sandbox.root, [ANTHROPIC, DB_PASSWORD, TRICKY])).toEqual([]);
  });
});

describe("kpm shell-init", () => {
  test("without a config file it prints the notice on stderr, nothing on stdout, exit 0", async () => {
    const bare = createSandbox();
    try {
      const result = await runKpmProcess(["shell-init"], { env: bare.env });
      expect(result).toEqual({ code: 0, stdout: "", stderr: "kpm: not configured. Run: kpm quickstart\n" });
    } finally {
      bare.cleanup();
    }
  });

  test("POSIX hook for bash, zsh, sh and unknown shells names the absolute shell-env template", async () => {
    const template = join(sandbox.home, ".config/kpm/templates/shell-env.template");
    const expected = [
      "# KPM shell integration (generated by kpm shell-init)",
      `if [ -f "${template}" ]; then`,
      `    __kpm_env="$(kpm env --from '${template}' --output shell --shell-pid $$ --quiet)"`,
      '    if [ -n "$__kpm_env" ]; then',
      '        eval "$__kpm_env" && export KPM_LOADED=1',
      "    fi",
      "    unset __kpm_env",
      "fi",
      "",
    ].join("\n");
    for (const shell of ["/bin/bash", "/usr/bin/zsh", "/bin/sh", "/opt/elvish"]) {
      const result = await env(["shell-init"], { SHELL: shell });
      expect(result).toEqual({ code: 0, stdout: expected, stderr: "" });
    }
    expect((await env(["shell-init", "--shell", "bash"], { SHELL: "/usr/bin/fish" })).stdout).toBe(expected);
  });

  test("fish hook with --shell fish and --shell=fish", async () => {
    const template = join(sandbox.home, ".config/kpm/templates/shell-env.template");
    const expected = [
      "# KPM shell integration (generated by kpm shell-init)",
      `if test -f "${template}"`,
      `    set -l __kpm_env (kpm env --from '${template}' --output shell --shell-pid $fish_pid --quiet | string collect)`,
      '    if test -n "$__kpm_env"',
      "        printf '%s\\n' $__kpm_env | source; and set -gx KPM_LOADED 1",
      "    end",
      "end",
      "",
    ].join("\n");
    expect((await env(["shell-init", "--shell", "fish"])).stdout).toBe(expected);
    expect((await env(["shell-init", "--shell=fish"])).stdout).toBe(expected);
    expect((await env(["shell-init"], { SHELL: "/usr/local/bin/fish" })).stdout).toBe(expected);
  });

  test("quotes, $ and backslashes in the template path are escaped for each shell", async () => {
    const configDir = join(sandbox.root, `c'f$x"y\\z`);
    mkdirSync(configDir, { recursive: true, mode: 0o700 });
    writeFileSync(join(configDir, "config.yaml"), "", { mode: 0o600 });
    const template = join(configDir, "templates/shell-env.template");
    const posix = await env(["shell-init", "--shell", "sh"], { KPM_CONFIG: configDir });
    const doubleEscaped = template.replace(/[\\"$`]/g, (c) => `\\${c}`);
    expect(posix.stdout.split("\n")[1]).toBe(`if [ -f "${doubleEscaped}" ]; then`);
    expect(posix.stdout.split("\n")[2]).toBe(
      `    __kpm_env="$(kpm env --from '${template.replace(/'/g, "'\\''")}' --output shell --shell-pid $$ --quiet)"`,
    );
    const fish = await env(["shell-init", "--shell", "fish"], { KPM_CONFIG: configDir });
    expect(fish.stdout.split("\n")[2]).toBe(
      `    set -l __kpm_env (kpm env --from '${template.replace(/\\/g, "\\\\").replace(/'/g, "\\'")}' --output shell --shell-pid $fish_pid --quiet | string collect)`,
    );
  });

  test("a POSIX shell that evals the hook gets encrypted variables and KPM_LOADED=1", async () => {
    const templatesDir = join(sandbox.home, ".config/kpm/templates");
    mkdirSync(templatesDir, { recursive: true });
    writeFileSync(join(templatesDir, "shell-env.template"), "ANTHROPIC_API_KEY=${kms:llm/anthropic}\n");
    // `kpm` on PATH is a wrapper around the sources, as an installed kpm would be.
    const bin = join(sandbox.root, "bin");
    mkdirSync(bin, { recursive: true });
    writeFileSync(join(bin, "kpm"), `#!/bin/sh\nexec '${process.execPath}' '${KPM_ENTRY}' "$@"\n`, {
      mode: 0o755,
    });
    const shellEnv = { ...sandbox.env, PATH: `${bin}:${sandbox.env.PATH}`, SHELL: "/bin/sh" };
    const probe = Bun.spawn(
      [
        "sh",
        "-c",
        'eval "$(kpm shell-init)"; printf "%s\\n%s\\n" "$KPM_LOADED" "$ANTHROPIC_API_KEY"; kpm decrypt --env ANTHROPIC_API_KEY',
      ],
      { env: shellEnv, cwd: sandbox.home, stdout: "pipe", stderr: "pipe" },
    );
    const [stdout, code] = await Promise.all([new Response(probe.stdout).text(), probe.exited]);
    expect(code).toBe(0);
    const [loaded, blob, plaintext] = stdout.split("\n");
    expect(loaded).toBe("1");
    expect(blob).toMatch(BLOB);
    expect(plaintext).toBe(ANTHROPIC);
  });
});
