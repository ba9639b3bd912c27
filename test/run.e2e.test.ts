// End-to-end proof of `kpm run` (spec §8.2, §10, §18 items 12, 25–27): template and env-scan
// modes, mode selection, spawning errors, signals and exit codes, stdin, output masking, and a
// smoke test of the compiled binary — real processes against a real `kpm dev serve`.
// biome-ignore-all lint/suspicious/noTemplateCurlyInString: templates and shell scripts spell ${…} literally
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import {
  chmodSync,
  chownSync,
  existsSync,
  mkdirSync,
  readdirSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { join } from "node:path";
import {
  createSandbox,
  type Fixture,
  KPM_BINARY,
  type KpmResult,
  kpmCommand,
  parseShellExports,
  REPO_ROOT,
  runKpmProcess,
  type Sandbox,
  startFixture,
  type TestDevServer,
  writeKpmConfig,
} from "./helpers/kpm-env.ts";

const SECRET = "sk-run-marker-0123456789abcdef";
const DB_PASSWORD = "pw-run-marker-feedbeef";
const PLAIN = "plain-value-123456";
const DEFAULT = "default-value-987654";
const CONCEALED = "<concealed by kpm>";

let fixture: Fixture;
let server: TestDevServer;
let sandbox: Sandbox;

beforeAll(async () => {
  fixture = await startFixture({
    "llm/anthropic": { api_key: SECRET },
    "generic/db/prod": { password: DB_PASSWORD },
  });
  ({ server, sandbox } = fixture);
  writeFileSync(
    join(sandbox.home, "app.template"),
    [
      "SECRET=${kms:llm/anthropic}",
      "DB_PASSWORD=${kms:kv/db/prod#password}",
      `PLAIN=${PLAIN}`,
      `DEF=\${kms:kv/db/prod#missing:-${DEFAULT}}`,
    ].join("\n"),
  );
  writeFileSync(join(sandbox.home, "plain.template"), "ONLY_PLAIN=1\n");
});

afterAll(async () => {
  await fixture?.close();
});

function kpm(
  args: string[],
  options: { env?: Record<string, string | undefined>; cwd?: string; input?: string } = {},
): Promise<KpmResult> {
  return runKpmProcess(args, {
    env: { ...sandbox.env, ...options.env },
    cwd: options.cwd ?? sandbox.home,
    input: options.input,
  });
}

interface RawResult {
  code: number;
  stdout: Uint8Array;
  stderr: string;
}

/** Like kpm() but keeps stdout as bytes (masking must pass non-secret bytes unchanged). */
async function kpmRaw(args: string[], env: Record<string, string | undefined> = {}): Promise<RawResult> {
  const child = Bun.spawn([...kpmCommand(), ...args], {
    env: { ...sandbox.env, ...env },
    cwd: sandbox.home,
    stdin: "ignore",
    stdout: "pipe",
    stderr: "pipe",
  });
  const [stdout, stderr, code] = await Promise.all([
    new Response(child.stdout).bytes(),
    new Response(child.stderr).text(),
    child.exited,
  ]);
  return { code, stdout, stderr };
}

function runtimeEntries(): string[] {
  return existsSync(sandbox.runtimeDir) ? readdirSync(sandbox.runtimeDir).sort() : [];
}

async function newSession(): Promise<Record<string, string>> {
  const result = await kpm(["env", "--from", "app.template", "--output", "shell"]);
  expect(result.code).toBe(0);
  return parseShellExports(result.stdout);
}

describe("template mode", () => {
  test("--from gives the child plaintext for KMS entries, plain entries and defaults", async () => {
    const result = await kpm([
      "run",
      "--from",
      "app.template",
      "--no-masking",
      "--",
      "sh",
      "-c",
      'printf "%s|%s|%s|%s\\n" "$SECRET" "$DB_PASSWORD" "$PLAIN" "$DEF"',
    ]);
    expect(result).toEqual({ code: 0, stdout: `${SECRET}|${DB_PASSWORD}|${PLAIN}|${DEFAULT}\n`, stderr: "" });
  });

  test("template values override inherited ones and creates no session", async () => {
    const before = runtimeEntries();
    const result = await kpm(["run", "--from", "app.template", "--no-masking", "--", "printenv", "PLAIN"], {
      env: { PLAIN: "inherited" },
    });
    expect(result.stdout).toBe(`${PLAIN}\n`);
    expect(runtimeEntries()).toEqual(before);
  });

  test("a reference that cannot be resolved stops the run before the child starts", async () => {
    writeFileSync(
      join(sandbox.home, "partial.template"),
      "SECRET=${kms:llm/anthropic}\nGONE=${kms:kv/db/prod#nope}\nALSO=${kms:kv/none/here#k}\n",
    );
    const marker = join(sandbox.root, "child-started");
    const result = await kpm(["run", "--from", "partial.template", "--", "touch", marker]);
    expect(result).toEqual({
      code: 1,
      stdout: "",
      stderr: [
        'kpm: cannot resolve GONE: key "nope" not found at path "db/prod"',
        "kpm: cannot resolve ALSO: fetch generic/none/here: not found (key_not_found)",
        "kpm run: 2 references could not be resolved; the command was not started",
        "  to run it with those variables unset, add --allow-missing",
        "",
      ].join("\n"),
    });
    expect(existsSync(marker)).toBe(false);
  });

  test("--allow-missing unsets what cannot be resolved, with one stderr line each; the child runs", async () => {
    writeFileSync(
      join(sandbox.home, "partial.template"),
      "SECRET=${kms:llm/anthropic}\nGONE=${kms:kv/db/prod#nope}\n",
    );
    const result = await kpm(
      [
        "run",
        "--allow-missing",
        "--from",
        "partial.template",
        "--",
        "sh",
        "-c",
        'printenv GONE || echo "GONE unset"',
      ],
      { env: { GONE: "inherited-stale-value" } },
    );
    expect(result).toEqual({
      code: 0,
      stdout: "GONE unset\n",
      stderr: 'kpm: unset GONE: key "nope" not found at path "db/prod"\n',
    });
  });

  test("auto-discovers <cwd>/.kpm/templates/<tool>.template and says so with --verbose", async () => {
    const project = join(sandbox.root, "proj-discover");
    mkdirSync(join(project, ".kpm/templates"), { recursive: true });
    const template = join(project, ".kpm/templates/printenv.template");
    writeFileSync(template, "DISCOVERED=${kms:kv/db/prod#password}\n");
    // A project's templates are used once trusted (docs/trust.md; test/trust.e2e.test.ts covers the rest).
    expect((await kpm(["trust"], { cwd: project })).code).toBe(0);
    const result = await kpm(["run", "--no-masking", "--", "printenv", "DISCOVERED"], { cwd: project });
    expect(result).toEqual({ code: 0, stdout: `${DB_PASSWORD}\n`, stderr: "" });
    const verbose = await kpm(["run", "-v", "--no-masking", "--", "printenv", "DISCOVERED"], {
      cwd: project,
    });
    expect(verbose.stderr.split("\n")).toContain(`✓ Auto-discovered template: ${template}`);
    expect(verbose.stderr).not.toContain(DB_PASSWORD);
  });

  test("falls back to default_template when no tool template exists", async () => {
    const project = join(sandbox.root, "proj-default");
    mkdirSync(project, { recursive: true });
    writeFileSync(join(project, ".env.template"), "FROM_DEFAULT=${kms:llm/anthropic}\n");
    expect((await kpm(["trust"], { cwd: project })).code).toBe(0);
    const result = await kpm(["run", "--no-masking", "--", "printenv", "FROM_DEFAULT"], { cwd: project });
    expect(result).toEqual({ code: 0, stdout: `${SECRET}\n`, stderr: "" });

    const custom = createSandbox();
    try {
      writeKpmConfig(custom.home, server, { default_template: "custom.template" });
      writeFileSync(join(custom.home, "custom.template"), "CUSTOM=yes\n");
      // A relative default_template is a file of the current directory: trusted like a project's.
      expect((await runKpmProcess(["trust"], { env: custom.env })).code).toBe(0);
      const viaConfig = await runKpmProcess(["run", "--", "printenv", "CUSTOM"], { env: custom.env });
      expect(viaConfig).toEqual({ code: 0, stdout: "yes\n", stderr: "" });
    } finally {
      custom.cleanup();
    }
  });

  test("no template and no session → the exact error, exit 1", async () => {
    const empty = join(sandbox.root, "proj-empty");
    mkdirSync(empty, { recursive: true });
    expect(await kpm(["run", "--", "true"], { cwd: empty })).toEqual({
      code: 1,
      stdout: "",
      stderr:
        "error: no template specified and no active KPM session found (no KPM_SESSION env var and no ENC[kpm:...] blobs in environment)\n",
    });
  });

  test("no command → usage error", async () => {
    expect(await kpm(["run"])).toEqual({
      code: 2,
      stdout: "",
      stderr: "kpm run: no command specified\nRun 'kpm run --help' for usage.\n",
    });
  });
});

describe("env-scan mode", () => {
  test("blobs from an evaluated `kpm env --output shell` reach the child as plaintext", async () => {
    const session = await newSession();
    const result = await kpm(
      [
        "run",
        "--no-masking",
        "--",
        "sh",
        "-c",
        'printf "%s|%s|%s|%s\\n" "$SECRET" "$DB_PASSWORD" "$PLAIN" "$KPM_SESSION"',
      ],
      { env: session, cwd: join(sandbox.root) },
    );
    expect(result).toEqual({
      code: 0,
      stdout: `${SECRET}|${DB_PASSWORD}|${PLAIN}|${session.KPM_SESSION}\n`,
      stderr: "",
    });
  });

  test("--verbose reports the decrypted count without values", async () => {
    const session = await newSession();
    const result = await kpm(["run", "-v", "--", "true"], { env: session, cwd: sandbox.root });
    expect(result.code).toBe(0);
    expect(result.stderr.split("\n")).toContain(`✓ Decrypted 3 secrets from session ${session.KPM_SESSION}`);
    expect(result.stderr).not.toContain(SECRET);
  });

  test("values from the listener are masked in piped output", async () => {
    const session = await newSession();
    const result = await kpm(["run", "--", "sh", "-c", 'echo "key=$SECRET"; echo "pw=$DB_PASSWORD" >&2'], {
      env: session,
      cwd: sandbox.root,
    });
    expect(result).toEqual({ code: 0, stdout: `key=${CONCEALED}\n`, stderr: `pw=${CONCEALED}\n` });
  });
});

describe("spawning and exit codes", () => {
  test("exit 42 passes through with nothing extra on stderr", async () => {
    expect(await kpm(["run", "--from", "plain.template", "--", "sh", "-c", "exit 42"])).toEqual({
      code: 42,
      stdout: "",
      stderr: "",
    });
  });

  test("stdin is inherited: echo hi | kpm run -- cat", async () => {
    expect(await kpm(["run", "--from", "plain.template", "--", "cat"], { input: "hi\n" })).toEqual({
      code: 0,
      stdout: "hi\n",
      stderr: "",
    });
  });

  test("an unknown command → 127 with the exact message", async () => {
    expect(await kpm(["run", "--from", "plain.template", "--", "kpm-no-such-tool-xyz"])).toEqual({
      code: 127,
      stdout: "",
      stderr: "error: run kpm-no-such-tool-xyz: executable file not found in $PATH\n",
    });
    expect((await kpm(["run", "--from", "plain.template", "--", "./missing.sh"])).code).toBe(127);
  });

  test("a file that is not executable → 126 permission denied", async () => {
    writeFileSync(join(sandbox.home, "noexec.sh"), "#!/bin/sh\necho should-not-run\n", { mode: 0o644 });
    expect(await kpm(["run", "--from", "plain.template", "--", "./noexec.sh"])).toEqual({
      code: 126,
      stdout: "",
      stderr: "error: run ./noexec.sh: permission denied\n",
    });
  });

  test("a child killed by SIGKILL → 137", async () => {
    const result = await kpm(["run", "--from", "plain.template", "--", "sh", "-c", "kill -9 $$"]);
    expect(result).toEqual({ code: 137, stdout: "", stderr: "" });
  });

  /** Starts kpm run with a child that prints `ready`, then delivers `signal` to kpm. */
  async function signalRun(
    script: string,
    signal: NodeJS.Signals,
  ): Promise<{ code: number; stdout: string }> {
    const child = Bun.spawn([...kpmCommand(), "run", "--from", "plain.template", "--", "sh", "-c", script], {
      env: sandbox.env,
      cwd: sandbox.home,
      stdin: "ignore",
      stdout: "pipe",
      stderr: "pipe",
    });
    const reader = child.stdout.getReader();
    let seen = "";
    while (!seen.includes("ready\n")) {
      const { done, value } = await reader.read();
      if (done) break;
      seen += new TextDecoder().decode(value);
    }
    child.kill(signal);
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      seen += new TextDecoder().decode(value);
    }
    return { code: await child.exited, stdout: seen };
  }

  test("SIGTERM to kpm reaches the child, which traps it; kpm exits with its code 143", async () => {
    const result = await signalRun(
      'trap "echo trapped; exit 143" TERM; echo ready; while :; do sleep 0.05; done',
      "SIGTERM",
    );
    expect(result).toEqual({ code: 143, stdout: "ready\ntrapped\n" });
  });

  test("a child that dies by the forwarded SIGTERM → 128+15; SIGHUP → 128+1", async () => {
    expect((await signalRun("echo ready; exec sleep 30", "SIGTERM")).code).toBe(143);
    expect((await signalRun("echo ready; exec sleep 30", "SIGHUP")).code).toBe(129);
  });
});

describe("output masking (stdout is a pipe)", () => {
  const run = (script: string, flags: string[] = []) =>
    kpmRaw(["run", "--from", "app.template", ...flags, "--", "sh", "-c", script]);
  const text = (bytes: Uint8Array) => new TextDecoder().decode(bytes);

  test("a secret written in two pieces 1 ms apart is fully masked", async () => {
    const result = await run(
      'head=$(printf %s "$SECRET" | cut -c1-9); tail=$(printf %s "$SECRET" | cut -c10-); printf %s "$head"; sleep 0.001; printf "%s\\n" "$tail"',
    );
    expect(text(result.stdout)).toBe(`${CONCEALED}\n`);
    expect(result.code).toBe(0);
  });

  test("the base64 form is masked, as is a second secret", async () => {
    const result = await run(
      'printf %s "$SECRET" | base64 | tr -d "\\n"; echo; printf "%s\\n" "$DB_PASSWORD"',
    );
    expect(text(result.stdout)).toBe(`${CONCEALED}\n${CONCEALED}\n`);
    expect(Buffer.from(SECRET).toString("base64")).not.toBe(SECRET);
  });

  test("colour codes and non-secret bytes pass byte-identical", async () => {
    const result = await run("printf '\\033[31mred\\033[0m \\303\\274 \\001\\377 sk-run- ok\\n'");
    const expected = new Uint8Array([
      ...Buffer.from("\x1b[31mred\x1b[0m "),
      0xc3,
      0xbc,
      0x20,
      0x01,
      0xff,
      ...Buffer.from(" sk-run- ok\n"),
    ]);
    expect(result.stdout).toEqual(expected);
  });

  test("--no-masking shows the value", async () => {
    const result = await run('echo "$SECRET"', ["--no-masking"]);
    expect(text(result.stdout)).toBe(`${SECRET}\n`);
  });

  test("plain entries and template defaults are not masked", async () => {
    const result = await run('echo "$PLAIN $DEF"');
    expect(text(result.stdout)).toBe(`${PLAIN} ${DEFAULT}\n`);
  });

  test("masking keeps the exit code and masks stderr too", async () => {
    const result = await run('echo "out $SECRET"; echo "err $SECRET" >&2; exit 3');
    expect(result.code).toBe(3);
    expect(text(result.stdout)).toBe(`out ${CONCEALED}\n`);
    expect(result.stderr).toBe(`err ${CONCEALED}\n`);
  });

  test("--mask with --no-masking is refused", async () => {
    const result = await run("true", ["--mask", "--no-masking"]);
    expect(result.code).toBe(2);
    expect(result.stderr).toBe(
      "kpm: --mask and --no-masking are mutually exclusive\nRun 'kpm run --help' for usage.\n",
    );
  });
});

describe("compiled binary", () => {
  beforeAll(() => {
    if (!existsSync(KPM_BINARY)) {
      const built = Bun.spawnSync([process.execPath, join(REPO_ROOT, "scripts/build.ts")], {
        cwd: REPO_ROOT,
      });
      if (built.exitCode !== 0) throw new Error(`build failed: ${built.stderr.toString()}`);
    }
  });

  const compiled = (args: string[], env: Record<string, string | undefined>, cwd = sandbox.home) =>
    runKpmProcess(args, { env: { ...sandbox.env, ...env }, cwd, binary: true });

  test("dist/kpm env then dist/kpm run (env-scan) round-trips the secret", async () => {
    const envResult = await compiled(["env", "--from", "app.template", "--output", "shell"], {});
    expect(envResult.code).toBe(0);
    const session = parseShellExports(envResult.stdout);
    expect(session.SECRET).toStartWith("ENC[kpm:");
    const result = await compiled(["run", "--no-masking", "--", "printenv", "SECRET"], session, sandbox.root);
    expect(result).toEqual({ code: 0, stdout: `${SECRET}\n`, stderr: "" });
  });

  test("dist/kpm run checks the socket (through libc) and unsets what it refuses", async () => {
    const session = parseShellExports(
      (await compiled(["env", "--from", "app.template", "--output", "shell"], {})).stdout,
    );
    const base = join(sandbox.root, "sockets");
    const open = join(base, "open");
    mkdirSync(open, { recursive: true });
    chmodSync(open, 0o755);
    const listener = Bun.listen({ unix: join(open, "s.sock"), socket: { data() {} } });
    const owned = join(base, "owned");
    mkdirSync(owned, { mode: 0o700 });
    const linked = join(base, "linked");
    symlinkSync(owned, linked);
    writeFileSync(join(owned, "file.sock"), "");
    const cases: Array<[string, string]> = [
      [
        join(open, "s.sock"),
        `parent directory ${open}: its mode 0755 allows access by group or others (fix: chmod 700 ${open})`,
      ],
      [join(linked, "file.sock"), `parent directory ${linked}: it is a symbolic link`],
      [join(owned, "file.sock"), "it is not a socket"],
    ];
    if (process.getuid?.() === 0) {
      const foreign = join(base, "foreign");
      mkdirSync(foreign, { mode: 0o700 });
      chownSync(foreign, 65534, 65534);
      cases.push([join(foreign, "x.sock"), `parent directory ${foreign}: it is owned by uid 65534, not 0`]);
    }
    try {
      for (const [socket, reason] of cases) {
        const env = { ...session, KPM_DECRYPT_SOCK: socket };
        const result = await compiled(["run", "--", "sh", "-c", 'echo "${SECRET-unset}"'], env, sandbox.root);
        expect({ socket, ...result }).toEqual({
          socket,
          code: 0,
          stdout: "unset\n",
          stderr: [
            ...["DB_PASSWORD", "DEF", "SECRET"].map(
              (name) => `kpm: unset ${name}: refusing to use decrypt socket ${socket}: ${reason}`,
            ),
            "",
          ].join("\n"),
        });
      }
    } finally {
      listener.stop(true);
    }
  });

  test("a .env or bunfig.toml in the cwd does not leak into dist/kpm run", async () => {
    const session = parseShellExports(
      (await compiled(["env", "--from", "app.template", "--output", "shell"], {})).stdout,
    );
    const cwd = join(sandbox.root, "dotenv-cwd");
    mkdirSync(cwd, { recursive: true });
    writeFileSync(join(cwd, ".env"), "KPM_LEAK=1\n");
    writeFileSync(join(cwd, "bunfig.toml"), 'preload = ["./evil.ts"]\n');
    writeFileSync(
      join(cwd, "evil.ts"),
      `require("node:fs").writeFileSync(${JSON.stringify(join(cwd, "pwned"))}, "x");\n`,
    );
    const result = await compiled(["run", "--", "printenv", "KPM_LEAK"], session, cwd);
    expect(result).toEqual({ code: 1, stdout: "", stderr: "" });
    expect(existsSync(join(cwd, "pwned"))).toBe(false);
  });
});
