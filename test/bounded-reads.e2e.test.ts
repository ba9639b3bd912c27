// End to end through the compiled binary: every user-facing input pointed at an endless device
// (/dev/zero, /dev/urandom) fails with one clear line, a non-zero exit and no stack trace, well
// within a second, and nothing already stored is lost. The unbounded stdin read kpm add used
// before is shown still running when it is killed, to prove the cap is what ends these runs.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdirSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import {
  createSandbox,
  type KpmResult,
  runKpmProcess,
  type Sandbox,
  startDevServerForTest,
  type TestDevServer,
  writeKpmConfig,
} from "./helpers/kpm-env.ts";
import { ensureCompiledBinary } from "./helpers/run-kpm.ts";
import { runToEnd } from "./helpers/run-to-end.ts";

/** Generous against a loaded 2-core machine; the measured times are printed at the end. */
const BOUND_MS = 3000;
const DEVICES = ["/dev/zero", "/dev/urandom"] as const;
const OLD_VALUE = "old-value-must-survive";

let binary: string;
let server: TestDevServer;
let box: Sandbox;
const timings: string[] = [];

interface TimedResult extends KpmResult {
  ms: number;
}

/** Runs dist/kpm with the sandbox's environment; `stdin` may be a device. */
async function kpm(args: string[], opts: { stdin?: string; cwd?: string } = {}): Promise<TimedResult> {
  const started = performance.now();
  const result = await runToEnd([binary, ...args], {
    env: box.env,
    cwd: opts.cwd ?? box.home,
    input: opts.stdin ? Bun.file(opts.stdin) : undefined,
    timeout: 20_000,
  });
  const ms = performance.now() - started;
  timings.push(
    `${ms.toFixed(0).padStart(5)} ms  kpm ${args.join(" ")}${opts.stdin ? ` < ${opts.stdin}` : ""}`,
  );
  return { ...result, ms };
}

/** Exit 1, nothing on stdout, exactly `line` on stderr (one line: no stack trace), fast. */
function expectRefusal(result: TimedResult, line: string): void {
  expect({ code: result.code, stdout: result.stdout, stderr: result.stderr }).toEqual({
    code: 1,
    stdout: "",
    stderr: `${line}\n`,
  });
  expect(result.ms).toBeLessThan(BOUND_MS);
}

async function storedValue(): Promise<string> {
  const result = await runKpmProcess(["get", "svc/x"], { env: box.env, binary: true });
  expect(result.code).toBe(0);
  return result.stdout;
}

beforeAll(async () => {
  binary = ensureCompiledBinary();
  server = await startDevServerForTest();
  box = createSandbox();
  writeKpmConfig(box.home, server);
  const seeded = await runKpmProcess(["add", "svc/x"], { env: box.env, input: OLD_VALUE, binary: true });
  expect(seeded.code).toBe(0);
});

afterAll(async () => {
  console.log(`bounded reads, measured wall times:\n${timings.join("\n")}`);
  await server.remove();
  box.cleanup();
});

describe.each(DEVICES)("%s as every input", (device) => {
  test("--config", async () => {
    expectRefusal(
      await kpm(["get", "svc/x", "--config", device]),
      `error: config parse error: parse config ${device}: file too large (max 1 MiB)`,
    );
  });

  test.each([
    ["cert", "cert"],
    ["key", "key"],
    ["ca", "CA"],
  ])("config %s:", async (field, label) => {
    const config = join(box.root, `config-${field}.yaml`);
    const files: Record<string, string> = { ...server.clientFiles, [field]: device };
    writeFileSync(
      config,
      `server: ${server.addr}\ncert: ${files.cert}\nkey: ${files.key}\nca: ${files.ca}\n`,
      { mode: 0o600 },
    );
    expectRefusal(
      await kpm(["get", "svc/x", "--config", config]),
      `error creating client: TLS config: read ${label} ${device}: file too large (max 1 MiB)`,
    );
  });

  test.each(["env", "run"])("kpm %s --from", async (command) => {
    const args = command === "env" ? ["env", "--from", device] : ["run", "--from", device, "--", "true"];
    expectRefusal(await kpm(args), `error parsing template: ${device}: template too large (max 1 MiB)`);
  });

  test("kpm add --from-file keeps the stored value", async () => {
    expectRefusal(
      await kpm(["add", "svc/x", "--force", "--from-file", device]),
      "error: value too large (more than 1048576 bytes; AgentKMS accepts at most 1 MiB per request)",
    );
    expect(await storedValue()).toBe(OLD_VALUE);
  });

  test("kpm add from stdin keeps the stored value", async () => {
    expectRefusal(
      await kpm(["add", "svc/x", "--force"], { stdin: device }),
      "error: value too large (more than 1048576 bytes; AgentKMS accepts at most 1 MiB per request)",
    );
    expect(await storedValue()).toBe(OLD_VALUE);
  });

  test("kpm remove's confirmation from stdin is cancelled and removes nothing", async () => {
    // The answer is cut off after 4 KiB: not "y", so the prompt is answered "no".
    expectRefusal(
      await kpm(["remove", "svc/x"], { stdin: device }),
      "Remove svc/x (v1)? [y/N] error: cancelled",
    );
    expect(await storedValue()).toBe(OLD_VALUE);
  });

  test("kpm dev secrets set from stdin stores nothing", async () => {
    expectRefusal(
      await kpm(["dev", "secrets", "set", "--dir", server.dir, "bounded/probe", "value"], { stdin: device }),
      "error: read stdin: input too large (max 1 MiB)",
    );
    const list = await kpm(["dev", "secrets", "list", "--dir", server.dir]);
    expect(list.stdout).not.toContain("bounded/probe");
  });
});

describe("secure allow-lists that lead to a device", () => {
  test("a project allow-list symlinked to /dev/zero is not a usable file: clear error at once", async () => {
    const project = join(box.root, "project");
    mkdirSync(join(project, ".kpm"), { recursive: true });
    writeFileSync(join(project, "t.template"), "A=1\n");
    const allowlist = join(project, ".kpm", "secure-allowlist.yaml");
    symlinkSync("/dev/zero", allowlist);
    const userAllowlist = join(box.home, ".config", "kpm", "secure-allowlist.yaml");
    symlinkSync("/dev/urandom", userAllowlist);
    expectRefusal(
      await kpm(["run", "--secure", "--from", "t.template", "--", "true"], { cwd: project }),
      `kpm: --secure requires an allow-list; create ${allowlist} or ${userAllowlist}`,
    );
  });
});

describe("the profile walk", () => {
  test("a FIFO or a link to /dev/zero as an ancestor's .kpm/config.yaml is skipped with a warning", async () => {
    const ancestor = join(box.root, "walk");
    const project = join(ancestor, "inner", "project");
    mkdirSync(join(ancestor, ".kpm"), { recursive: true });
    mkdirSync(join(ancestor, "inner", ".kpm"), { recursive: true });
    mkdirSync(project, { recursive: true });
    // No writer ever opens this FIFO: a blocking open of it never returns.
    expect(Bun.spawnSync(["mkfifo", join(ancestor, ".kpm", "config.yaml")]).exitCode).toBe(0);
    symlinkSync("/dev/zero", join(ancestor, "inner", ".kpm", "config.yaml"));
    writeFileSync(join(project, "t.template"), "A={{profile:x:-fallback}}\n");
    const result = await kpm(["env", "--from", "t.template", "--plaintext"], { cwd: project });
    expect(result).toMatchObject({
      code: 0,
      stdout: "A=fallback\n",
      stderr:
        `kpm: warning: ignoring profile in ${join(ancestor, "inner", ".kpm", "config.yaml")}: not a regular file\n` +
        `kpm: warning: ignoring profile in ${join(ancestor, ".kpm", "config.yaml")}: not a regular file\n` +
        "✓ Resolved 0 secrets from AgentKMS\n",
    });
    expect(result.ms).toBeLessThan(BOUND_MS);
  });
});

describe("kpm config push", () => {
  test("a template over 1 MiB is refused by size and the rest are pushed", async () => {
    const dir = join(box.root, "push");
    mkdirSync(dir);
    writeFileSync(join(dir, "big.template"), "#".repeat(2 * 1024 * 1024));
    writeFileSync(join(dir, "small.template"), "A=1\n");
    const result = await kpm(["config", "push", dir]);
    expect(result.code).toBe(1);
    expect(result.stderr).toBe(
      `Pushing templates from ${dir}\n` +
        "  warning: failed to push big.template: read: file too large (max 1 MiB)\n" +
        "  pushed small.template → kpm/templates/small\n" +
        "✓ 1 template pushed to AgentKMS\n",
    );
  });
});

describe("without the cap", () => {
  test("the read-all kpm add used on stdin is still running on /dev/zero when killed", async () => {
    const child = Bun.spawn([process.execPath, "-e", "await Bun.stdin.bytes(); console.log('done')"], {
      stdin: Bun.file("/dev/zero"),
      stdout: "pipe",
      timeout: BOUND_MS,
    });
    const [out] = await Promise.all([new Response(child.stdout).text(), child.exited]);
    expect({ out, signal: child.signalCode }).toEqual({ out: "", signal: "SIGTERM" });
  });
});
