// End-to-end proof of `kpm quickstart` (spec §14, §4.4, §18 items 1, 28, 29): from an empty HOME
// to a working kpm — list, env, eval, run, run --secure — then an idempotent rerun, --force, the
// "kept"/"differs"/"points elsewhere" texts, and the port-taken refusal that changes nothing.
// biome-ignore-all lint/suspicious/noTemplateCurlyInString: templates spell ${kms:…} references literally
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import {
  chmodSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { join } from "node:path";
import { createSandbox, parseShellExports, runKpmProcess, type Sandbox } from "./helpers/kpm-env.ts";
import { COMPILED_BINARY, ensureCompiledBinary } from "./helpers/run-kpm.ts";
import { tryThese } from "./helpers/try-these.ts";

const DEMO_VALUES = [
  "s3cret-pg-pass",
  "hmac-demo-key-2026",
  "ghp_demo1234567890abcdef",
  "sk-demo-anthropic-key-for-testing",
  "sk-demo-openai-key-for-testing",
  "sk-demo-registry-key-for-testing",
];

let sandbox: Sandbox;
/** Holds `kpm`, a link to dist/kpm, as setup installs it: first on the PATH of every run below. */
let bin: string;
let devDir: string;
let project: string;
let addr: string;
let firstRunMs = 0;
let serverPid = 0;

function freePort(): number {
  const listener = Bun.listen({ hostname: "127.0.0.1", port: 0, socket: { data() {} } });
  const { port } = listener;
  listener.stop(true);
  return port;
}

const kpm = (args: string[], opts: { cwd?: string; env?: Record<string, string> } = {}) =>
  runKpmProcess(args, {
    env: { ...sandbox.env, PATH: `${bin}:${sandbox.env.PATH}`, ...opts.env },
    cwd: opts.cwd ?? project,
    binary: true,
  });

const paths = () => {
  const config = join(sandbox.home, ".config/kpm");
  const certs = join(sandbox.home, ".local/share/kpm/certs");
  return {
    configDir: config,
    config: join(config, "config.yaml"),
    templates: join(config, "templates"),
    shellEnv: join(config, "templates/shell-env.template"),
    allowlist: join(config, "secure-allowlist.yaml"),
    claude: join(config, "templates/ai/claude.template"),
    codex: join(config, "templates/ai/codex.template"),
    dataDir: join(sandbox.home, ".local/share/kpm"),
    certs,
    certFiles: ["ca.crt", "client.crt", "client.key"].map((name) => join(certs, name)),
    project: join(project, ".kpm/templates/.env.template"),
  };
};

const writtenFiles = () => {
  const p = paths();
  return [...p.certFiles, p.config, p.shellEnv, p.allowlist, p.claude, p.codex, p.project];
};

const mode = (path: string) => statSync(path).mode & 0o777;

function snapshot(files: string[]): Record<string, string> {
  return Object.fromEntries(
    files.map((file) => [file, `${statSync(file).mtimeMs}:${readFileSync(file, "base64")}`]),
  );
}

beforeAll(() => {
  ensureCompiledBinary();
  sandbox = createSandbox();
  bin = join(sandbox.root, "bin");
  mkdirSync(bin);
  symlinkSync(COMPILED_BINARY, join(bin, "kpm"));
  devDir = join(sandbox.root, "d");
  project = join(sandbox.root, "p");
  mkdirSync(project);
  addr = `127.0.0.1:${freePort()}`;
});

afterAll(async () => {
  await kpm(["dev", "stop", "--dir", devDir]);
  sandbox?.cleanup();
});

describe("kpm quickstart from an empty HOME", () => {
  test("sets up PKI, a detached dev server, demo secrets, config, certs and templates", async () => {
    const started = performance.now();
    const result = await kpm(["quickstart", "--addr", addr, "--dir", devDir]);
    firstRunMs = performance.now() - started;
    expect(result.stdout).toBe("");
    expect(result.code).toBe(0);
    const pidMatch = /✓ AgentKMS dev server started \(PID (\d+)\)/.exec(result.stderr);
    serverPid = Number(pidMatch?.[1]);
    expect(serverPid).toBeGreaterThan(0);
    const p = paths();
    expect(result.stderr).toBe(
      [
        "  Generating PKI (CA + server + client certificates)...",
        "✓ PKI generated",
        "  Starting AgentKMS dev server...",
        `✓ AgentKMS dev server started (PID ${serverPid})`,
        "  Waiting for server to be healthy...",
        "✓ Server healthy",
        "  Seeding demo secrets...",
        "✓ Demo secrets loaded (5 credential paths, 1 registry secret)",
        "  Setting up KPM config and templates...",
        "✓ Config, certs, and templates ready",
        "",
        "KPM quickstart complete!",
        `  Server:     https://${addr}`,
        `  Server PID: ${serverPid}  (stop with: kpm dev stop --dir ${devDir})`,
        `  Config:     ${p.config}`,
        `  Certs:      ${p.certs}`,
        "",
        "  Try these:",
        "    kpm tree",
        `    kpm env --from ${p.shellEnv}`,
        `    kpm env --from ${p.shellEnv} --plaintext`,
        "    kpm run -- printenv DB_HOST",
        "",
        "  Load secrets in every new shell:",
        '    bash/zsh:  eval "$(kpm shell-init)"',
        "    fish:      kpm shell-init --shell fish | source",
        "",
      ].join("\n"),
    );
    // Reported, not asserted (no timed assertions); bench/quickstart.bench.ts measures it.
    console.log(`quickstart first run: ${firstRunMs.toFixed(0)} ms (target ≤ 3000 ms)`);
  });

  test("writes every file with the §4.4 mode and the §14 content", () => {
    const p = paths();
    expect(mode(p.configDir)).toBe(0o700);
    expect(mode(p.dataDir)).toBe(0o700);
    expect(mode(p.certs)).toBe(0o700);
    for (const file of p.certFiles) expect(mode(file)).toBe(0o600);
    expect(mode(p.config)).toBe(0o600);
    expect(mode(p.templates)).toBe(0o755);
    expect(mode(join(project, ".kpm/templates"))).toBe(0o755);
    for (const file of [p.shellEnv, p.allowlist, p.claude, p.codex, p.project])
      expect(mode(file)).toBe(0o644);
    expect(mode(devDir)).toBe(0o700);

    expect(readFileSync(p.config, "utf8")).toBe(
      [
        "# KPM Configuration",
        "# Generated by: kpm quickstart",
        `server: https://${addr}`,
        `cert: ${p.certs}/client.crt`,
        `key: ${p.certs}/client.key`,
        `ca: ${p.certs}/ca.crt`,
        "default_template: .env.template",
        "secure_mode: false",
        "session_key_ttl: 3600",
        "",
      ].join("\n"),
    );
    const client = join(devDir, "clients/forge-gateway");
    expect(readFileSync(join(p.certs, "client.key"))).toEqual(readFileSync(join(client, "client.key")));
    expect(readFileSync(join(p.certs, "ca.crt"))).toEqual(readFileSync(join(client, "ca.crt")));
    const shellEnv = readFileSync(p.shellEnv, "utf8");
    expect(shellEnv).toContain("kpm shell-init");
    expect(shellEnv).toContain(`eval "$(kpm env --from ${p.shellEnv} --output shell)"`);
    expect(shellEnv.split("\n").filter((line) => !line.startsWith("#") && line !== "")).toEqual([
      "ANTHROPIC_API_KEY=${kms:llm/anthropic}",
      "OPENAI_API_KEY=${kms:llm/openai}",
      "GITHUB_TOKEN=${kms:kv/github#token}",
    ]);
    expect(readFileSync(p.allowlist, "utf8")).toContain(
      "claude: {ANTHROPIC_API_KEY: llm/anthropic}\ncodex: {OPENAI_API_KEY: llm/openai}\n",
    );
    expect(readFileSync(p.claude, "utf8")).toBe("ANTHROPIC_API_KEY=${kms:llm/anthropic}\n");
    expect(readFileSync(p.codex, "utf8")).toBe("OPENAI_API_KEY=${kms:llm/openai}\n");
    expect(
      readFileSync(p.project, "utf8")
        .split("\n")
        .filter((line) => line && !line.startsWith("#")),
    ).toEqual([
      "APP_NAME=my-service",
      "LOG_LEVEL=info",
      "PORT=8080",
      "DB_HOST=${kms:kv/db/prod#host}",
      "DB_PORT=${kms:kv/db/prod#port}",
      "DB_PASSWORD=${kms:kv/db/prod#password}",
      "JWT_SECRET=${kms:kv/app/config#jwt_secret}",
    ]);
  });

  test("no demo value lands in a written file, and the server's argv holds no secret or cert path", () => {
    for (const file of writtenFiles()) {
      const text = readFileSync(file, "utf8");
      for (const value of DEMO_VALUES) expect(text).not.toContain(value);
    }
    const argv = readFileSync(`/proc/${serverPid}/cmdline`, "utf8").split("\0").slice(0, -1);
    expect(argv).toContain("--rate-limit");
    expect(argv.slice(argv.indexOf("dev"))).toEqual([
      "dev",
      "serve",
      "--dir",
      devDir,
      "--addr",
      addr,
      "--rate-limit",
      "0",
    ]);
    for (const value of DEMO_VALUES) expect(argv.join(" ")).not.toContain(value);
    expect(readFileSync(join(devDir, "server.log"), "utf8")).not.toContain("sk-demo");
  });

  test("kpm list shows the registry demo secret", async () => {
    const result = await kpm(["list"]);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain("demo/");
    expect(result.stdout).toMatch(/api-key\s+api-token\s+\[demo\]\s+"demo registry secret"\s+v1/);
    expect(result.stdout).not.toContain("sk-demo-registry-key-for-testing");
  });

  test("env --output shell gives ciphertext; evaluated, run decrypts it; run --secure gives claude only its key", async () => {
    const env = await kpm(["env", "--from", paths().shellEnv, "--output", "shell"]);
    expect(env.code).toBe(0);
    for (const value of DEMO_VALUES) expect(env.stdout).not.toContain(value);
    const exported = parseShellExports(env.stdout);
    expect(Object.keys(exported).sort()).toEqual([
      "ANTHROPIC_API_KEY",
      "GITHUB_TOKEN",
      "KPM_DECRYPT_SOCK",
      "KPM_SESSION",
      "KPM_TEMPLATE",
      "OPENAI_API_KEY",
    ]);
    for (const name of ["ANTHROPIC_API_KEY", "OPENAI_API_KEY", "GITHUB_TOKEN"]) {
      expect(exported[name]).toMatch(/^ENC\[kpm:/);
    }

    const echoed = await kpm(["run", "--no-masking", "--", "sh", "-c", "echo $OPENAI_API_KEY"], {
      env: exported,
    });
    expect(echoed.stderr).not.toContain("sk-demo");
    expect(echoed.stdout).toBe("sk-demo-openai-key-for-testing\n");
    expect(echoed.code).toBe(0);

    writeFileSync(join(bin, "claude"), "#!/bin/sh\nenv\n");
    chmodSync(join(bin, "claude"), 0o755);
    const secure = await kpm(["run", "--secure", "--no-masking", "--", "claude"], { env: exported });
    expect(secure.code).toBe(0);
    const childEnv = Object.fromEntries(
      secure.stdout
        .split("\n")
        .filter((line) => line.includes("="))
        .map((line) => [line.slice(0, line.indexOf("=")), line.slice(line.indexOf("=") + 1)]),
    );
    expect(childEnv.ANTHROPIC_API_KEY).toBe("sk-demo-anthropic-key-for-testing");
    for (const name of [
      "OPENAI_API_KEY",
      "GITHUB_TOKEN",
      "KPM_SESSION",
      "KPM_DECRYPT_SOCK",
      "KPM_TEMPLATE",
    ]) {
      expect(childEnv[name]).toBeUndefined();
    }
    expect(secure.stdout).not.toContain("ENC[");

    // The written allow-list pins claude's key: a project template remapping it is refused.
    const remap = join(project, ".kpm/templates/claude.template");
    writeFileSync(remap, "ANTHROPIC_API_KEY=${kms:kv/db/prod#password}\n");
    try {
      // Even once the user has trusted the project, the pin holds.
      expect((await kpm(["trust", project])).code).toBe(0);
      const refused = await kpm(["run", "--secure", "--no-masking", "--", "claude"]);
      expect(refused.code).toBe(0);
      expect(refused.stderr).toBe(
        `kpm: --secure: claude: ANTHROPIC_API_KEY at ${remap}:1 is kms:kv/db/prod#password, the allow-list pins llm/anthropic; not injected\n`,
      );
      expect(refused.stdout).not.toContain("ANTHROPIC_API_KEY=");
      for (const value of DEMO_VALUES) expect(refused.stdout).not.toContain(value);
    } finally {
      rmSync(remap);
      // Leave the trust store as quickstart left it: only the project template it wrote.
      await kpm(["untrust", project]);
      await kpm(["trust", project]);
    }
    await kpm(["env", "--unload"], { env: exported });
  });

  test("the project template it wrote is the default template of kpm run in that directory", async () => {
    const result = await kpm(["run", "--no-masking", "--", "printenv", "DB_HOST"]);
    expect(result.stdout).toBe("db.prod.internal\n");
    expect(result.code).toBe(0);
    // Quickstart trusted the project file it wrote (docs/trust.md), so no "ignoring untrusted" line.
    expect(result.stderr).toBe("");
    const listed = await kpm(["trust", "--list"]);
    expect(listed.stdout).toMatch(new RegExp(`^[0-9a-f]{12}  ok          ${paths().project}\n$`));
  });

  test("a project template it keeps (a cloned repo's) stays untrusted", async () => {
    const cloned = join(sandbox.root, "cloned");
    const hostile = join(cloned, ".kpm/templates/.env.template");
    mkdirSync(join(cloned, ".kpm/templates"), { recursive: true });
    writeFileSync(hostile, "DB_HOST=${kms:kv/db/prod#password}\n");
    const rerun = await kpm(["quickstart", "--addr", addr, "--dir", devDir], { cwd: cloned });
    expect(rerun.code).toBe(0);
    expect(rerun.stderr).toContain(`  kept existing ${hostile} (use --force to overwrite)\n`);
    // Not the demo template: no DB_HOST to print, so no such suggestion.
    expect(tryThese(rerun.stderr).join("\n")).not.toContain("printenv");
    const result = await kpm(["run", "--no-masking", "--", "printenv", "DB_HOST"], { cwd: cloned });
    expect(result.stdout).toBe("");
    expect(result.stderr).toStartWith(
      `kpm: ignoring untrusted ${hostile} — review it, then run: kpm trust ${cloned}\n`,
    );
  });

  test("a second run changes nothing and reuses the running server", async () => {
    const before = snapshot([...writtenFiles(), join(devDir, "secrets.enc"), join(devDir, "ca.crt")]);
    const result = await kpm(["quickstart", "--addr", addr, "--dir", devDir]);
    expect(result.code).toBe(0);
    expect(result.stderr).toContain("✓ PKI already exists (skipping enrollment)\n");
    expect(result.stderr).toContain(`✓ AgentKMS dev server already running (PID ${serverPid})\n`);
    expect(result.stderr).not.toContain("Starting AgentKMS dev server");
    for (const file of writtenFiles()) {
      expect(result.stderr).toContain(`  kept existing ${file} (use --force to overwrite)\n`);
    }
    expect(result.stderr).not.toContain("warning");
    expect(result.stderr).not.toContain("note:");
    expect(snapshot(Object.keys(before))).toEqual(before);
    const list = await kpm(["list", "--json"]);
    expect((JSON.parse(list.stdout) as unknown[]).length).toBe(1);
  });

  test("AGENTKMS_DIR names the dev dir when --dir is absent", async () => {
    const result = await kpm(["quickstart", "--addr", addr], { env: { AGENTKMS_DIR: devDir } });
    expect(result.code).toBe(0);
    expect(result.stderr).toContain(`✓ AgentKMS dev server already running (PID ${serverPid})\n`);
    expect(result.stderr).toContain(`  Server PID: ${serverPid}  (stop with: kpm dev stop)\n`);
  });

  test("kept files are reported when they differ: certs warning and the config-points-elsewhere note", async () => {
    const p = paths();
    writeFileSync(
      p.config,
      readFileSync(p.config, "utf8").replace(`https://${addr}`, "https://kms.example:8443"),
    );
    writeFileSync(join(p.certs, "client.crt"), "not the dev client certificate\n");
    const result = await kpm(["quickstart", "--addr", addr, "--dir", devDir]);
    expect(result.code).toBe(0);
    // The fixes name the exact command, with the flags this run was given.
    expect(result.stderr).toContain(
      `  warning: ${p.certs} differ from the dev server's client certificate; run: kpm quickstart --force --addr ${addr} --dir ${devDir}\n`,
    );
    expect(result.stderr).toContain(
      `  note: existing config points at https://kms.example:8443, not https://${addr}\n` +
        `  to use this server, run: kpm quickstart --force --addr ${addr} --dir ${devDir} (rewrites config, certs and templates)\n`,
    );
    expect(readFileSync(join(p.certs, "client.crt"), "utf8")).toBe("not the dev client certificate\n");
    // Running the suggested command is the whole fix: no note, no warning, the config points here.
    const fixed = await kpm(["quickstart", "--force", "--addr", addr, "--dir", devDir]);
    expect(fixed.code).toBe(0);
    expect(fixed.stderr).not.toContain("note:");
    expect(fixed.stderr).not.toContain("warning:");
    expect(readFileSync(p.config, "utf8")).toContain(`server: https://${addr}\n`);
  });

  test("--force rewrites every file with its content and mode", async () => {
    const p = paths();
    chmodSync(p.shellEnv, 0o600);
    writeFileSync(p.claude, "ANTHROPIC_API_KEY=edited\n");
    const result = await kpm(["quickstart", "--force", "--addr", addr, "--dir", devDir]);
    expect(result.code).toBe(0);
    expect(result.stderr).not.toContain("kept existing");
    expect(result.stderr).not.toContain("warning");
    expect(readFileSync(p.config, "utf8")).toContain(`server: https://${addr}\n`);
    expect(readFileSync(join(p.certs, "client.crt"))).toEqual(
      readFileSync(join(devDir, "clients/forge-gateway/client.crt")),
    );
    expect(readFileSync(p.claude, "utf8")).toBe("ANTHROPIC_API_KEY=${kms:llm/anthropic}\n");
    expect(mode(p.shellEnv)).toBe(0o644);
    expect(mode(p.config)).toBe(0o600);
    for (const file of p.certFiles) expect(mode(file)).toBe(0o600);
    // No temporary files are left next to the targets.
    expect(readdirSync(p.certs).sort()).toEqual(["ca.crt", "client.crt", "client.key"]);
  });

  test("run from $HOME, it writes no project template, and suggests no run of one", async () => {
    const result = await kpm(["quickstart", "--addr", addr, "--dir", devDir], { cwd: sandbox.home });
    expect(result.code).toBe(0);
    expect(existsSync(join(sandbox.home, ".kpm"))).toBe(false);
    expect(tryThese(result.stderr)).toEqual([
      "kpm tree",
      `kpm env --from ${paths().shellEnv}`,
      `kpm env --from ${paths().shellEnv} --plaintext`,
    ]);
  });
});

describe("kpm quickstart on a taken port", () => {
  test("fails with the exact text before changing anything", async () => {
    const other = createSandbox();
    const foreign = Bun.listen({ hostname: "127.0.0.1", port: 0, socket: { data() {} } });
    try {
      const otherDev = join(other.root, "d");
      const taken = `127.0.0.1:${foreign.port}`;
      const result = await runKpmProcess(["quickstart", "--addr", taken, "--dir", otherDev], {
        env: other.env,
        cwd: other.home,
      });
      expect(result.code).toBe(1);
      expect(result.stderr).toMatch(
        new RegExp(
          `^quickstart failed: listen ${taken}: address already in use; pick another with --addr 127\\.0\\.0\\.1:\\d+\\n$`,
        ),
      );
      expect(existsSync(otherDev)).toBe(false);
      // `.bun` is Bun's own transpiler cache (kpm runs from source here), not something kpm wrote.
      expect(readdirSync(other.home).filter((name) => name !== ".bun")).toEqual([]);
    } finally {
      foreign.stop(true);
      other.cleanup();
    }
  });
});
