// quickstart's "Try these" (docs/commands.md): every command it suggests works as printed, run
// from where quickstart ran — spelled `kpm` only when that name on PATH is this binary, else its
// full path; the project run plain, with --from, or left out, as what kpm run would pick there.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdirSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { createSandbox, parseShellExports, runKpmProcess, type Sandbox } from "./helpers/kpm-env.ts";
import { COMPILED_BINARY, ensureCompiledBinary } from "./helpers/run-kpm.ts";
import { runAsTyped, tryThese } from "./helpers/try-these.ts";

let sandbox: Sandbox;
/** Holds `kpm`, a link to dist/kpm, as setup installs it. */
let bin: string;
let devDir: string;
let project: string;
let addr: string;

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

const paths = () => ({ shellEnv: join(sandbox.home, ".config/kpm/templates/shell-env.template") });

beforeAll(async () => {
  ensureCompiledBinary();
  sandbox = createSandbox();
  bin = join(sandbox.root, "bin");
  mkdirSync(bin);
  symlinkSync(COMPILED_BINARY, join(bin, "kpm"));
  devDir = join(sandbox.root, "d");
  project = join(sandbox.root, "p");
  mkdirSync(project);
  addr = `127.0.0.1:${freePort()}`;
  expect((await kpm(["quickstart", "--addr", addr, "--dir", devDir])).code).toBe(0);
});

afterAll(async () => {
  await kpm(["dev", "stop", "--dir", devDir]);
  sandbox?.cleanup();
});

describe('quickstart\'s "Try these"', () => {
  test('every "Try these" command works as printed, from where quickstart ran', async () => {
    const rerun = await kpm(["quickstart", "--addr", addr, "--dir", devDir]);
    expect(rerun.code).toBe(0);
    const commands = tryThese(rerun.stderr);
    expect(commands).toEqual([
      "kpm tree",
      `kpm env --from ${paths().shellEnv}`,
      `kpm env --from ${paths().shellEnv} --plaintext`,
      "kpm run -- printenv DB_HOST",
    ]);
    const env = { ...sandbox.env, PATH: `${bin}:${sandbox.env.PATH}` };
    const results = await runAsTyped(commands, project, env);
    expect(results.map(({ command, code }) => ({ command, code }))).toEqual(
      commands.map((command) => ({ command, code: 0 })),
    );
    expect(results[1]?.output).toMatch(/^OPENAI_API_KEY=ENC\[kpm:/m);
    expect(results[3]?.output).toBe("db.prod.internal\n");
  });

  test("with a session in the shell, the project run is suggested with --from (env-scan would win)", async () => {
    const loaded = await kpm(["env", "--from", paths().shellEnv, "--output", "shell"]);
    const session = parseShellExports(loaded.stdout);
    try {
      const rerun = await kpm(["quickstart", "--addr", addr, "--dir", devDir], { env: session });
      const suggested = tryThese(rerun.stderr).at(-1) ?? "";
      expect(suggested).toBe("kpm run --from .kpm/templates/.env.template -- printenv DB_HOST");
      const env = { ...sandbox.env, ...session, PATH: `${bin}:${sandbox.env.PATH}` };
      const [result] = await runAsTyped([suggested], project, env);
      expect(result).toEqual({ command: suggested, code: 0, output: "db.prod.internal\n" });
    } finally {
      await kpm(["env", "--unload"], { env: session });
    }
  });

  test("an untrusted demo template is suggested with --from (a named file needs no trust)", async () => {
    expect((await kpm(["untrust", project])).code).toBe(0);
    try {
      const rerun = await kpm(["quickstart", "--addr", addr, "--dir", devDir]);
      const suggested = tryThese(rerun.stderr).at(-1) ?? "";
      expect(suggested).toBe("kpm run --from .kpm/templates/.env.template -- printenv DB_HOST");
      const env = { ...sandbox.env, PATH: `${bin}:${sandbox.env.PATH}` };
      const [result] = await runAsTyped([suggested], project, env);
      expect(result).toEqual({ command: suggested, code: 0, output: "db.prod.internal\n" });
    } finally {
      await kpm(["trust", project]);
    }
  });

  test("with kpm not on PATH, the commands spell out its full path, and say so", async () => {
    const env = { PATH: "/usr/bin:/bin" };
    const rerun = await kpm(["quickstart", "--addr", addr, "--dir", devDir], { env });
    expect(rerun.code).toBe(0);
    expect(rerun.stderr).toContain(
      `\n  kpm is not on your PATH, so these use its full path; add ${join(COMPILED_BINARY, "..")} to PATH to type kpm.\n`,
    );
    expect(rerun.stderr).toContain(`(stop with: ${COMPILED_BINARY} dev stop --dir ${devDir})`);
    expect(rerun.stderr).toContain(
      "Load secrets in every new shell (the hook runs kpm by name: put it on your PATH first):",
    );
    const commands = tryThese(rerun.stderr);
    expect(commands[0]).toBe(`${COMPILED_BINARY} tree`);
    expect(commands.at(-1)).toBe(`${COMPILED_BINARY} run -- printenv DB_HOST`);
    const results = await runAsTyped(commands, project, { ...sandbox.env, ...env });
    expect(results.map(({ code }) => code)).toEqual(commands.map(() => 0));

    // Another program named kpm first on PATH (an older install, say) is not this one either.
    const other = join(sandbox.root, "other-bin");
    mkdirSync(other, { recursive: true });
    writeFileSync(join(other, "kpm"), "#!/bin/sh\nexit 0\n", { mode: 0o755 });
    const shadowed = await kpm(["quickstart", "--addr", addr, "--dir", devDir], {
      env: { PATH: `${other}:${bin}:/usr/bin:/bin` },
    });
    expect(shadowed.stderr).toContain(
      `\n  The kpm on your PATH (${join(other, "kpm")}) is another program; these use this one.\n`,
    );
    expect(tryThese(shadowed.stderr)[0]).toBe(`${COMPILED_BINARY} tree`);
  });
});
