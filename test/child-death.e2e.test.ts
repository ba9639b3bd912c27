// `kpm run`'s child never outlives kpm (Linux): a child that receives secrets starts through the
// exec step, which sets PR_SET_PDEATHSIG, so SIGKILL on kpm takes the child with it, with and
// without a terminal. With KPM_TEST_UNHARDENED=1 (direct spawn) the same child survives as an
// orphan. Signals kpm forwards (SIGUSR1/2, SIGWINCH, job control) reach the child. Compiled
// binary, real dev server, real processes; every test kills what it started.
// biome-ignore-all lint/suspicious/noTemplateCurlyInString: templates spell ${kms:…} references literally
import { afterAll, afterEach, beforeAll, describe, expect, test } from "bun:test";
import { readFileSync, readlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { type Fixture, KPM_BINARY, startFixture } from "./helpers/kpm-env.ts";
import {
  commandOf,
  isAlive,
  ProcessTracker,
  parentOf,
  pidFrom,
  processGroupOf,
  processState,
  waitFor,
} from "./helpers/processes.ts";
import { ensureCompiledBinary } from "./helpers/run-kpm.ts";
import { runToEnd } from "./helpers/run-to-end.ts";

const SECRET = "sk-child-death-marker-0123456789";
const tracker = new ProcessTracker();
const terminals: Bun.Terminal[] = [];
let fixture: Fixture;
let counter = 0;

beforeAll(async () => {
  ensureCompiledBinary();
  fixture = await startFixture({ "llm/anthropic": { api_key: SECRET } });
  writeFileSync(join(fixture.sandbox.home, "app.template"), "SECRET=${kms:llm/anthropic}\n");
});

afterEach(() => {
  tracker.killAll();
  for (const terminal of terminals.splice(0)) terminal.close();
});

afterAll(async () => {
  tracker.killAll();
  await fixture?.close();
});

const unhardened = { KPM_TEST_UNHARDENED: "1" };
const fresh = (name: string) => join(fixture.sandbox.root, `${name}-${++counter}`);
const runArgv = (script: string) => [KPM_BINARY, "run", "--from", "app.template", "--", "sh", "-c", script];

interface Started {
  kpm: number;
  child: number;
  /** Resolves with kpm's exit code (pipes) or when the terminal's shell ends. */
  exited: Promise<number>;
}

/**
 * `kpm run` whose child writes its pid to a file and then runs `body` (in the same process).
 * Without a terminal kpm's stdio are pipes; with one, a shell on a pseudo-terminal runs kpm and
 * then stays (a session leader that exits would hang up the terminal and kill the orphan for us).
 */
async function startRun(
  body: string,
  options: { tty: boolean; env?: Record<string, string> },
): Promise<Started> {
  const pidFile = fresh("child.pid");
  const argv = runArgv(`echo $$ > ${pidFile}; ${body}`);
  const env = { ...fixture.sandbox.env, ...options.env };
  const cwd = fixture.sandbox.home;
  let exited: Promise<number>;
  let kpm: number;
  if (options.tty) {
    const quoted = argv.map((arg) => `'${arg.replaceAll("'", "'\\''")}'`).join(" ");
    const shell = Bun.spawn(["sh", "-c", `${quoted}; exec sleep 100`], { env, cwd, terminal: { data() {} } });
    tracker.track(shell.pid);
    if (shell.terminal) terminals.push(shell.terminal);
    exited = shell.exited;
    const child = await waitFor("the child's pid", () => pidFrom(pidFile));
    kpm = parentOf(child);
  } else {
    const spawned = Bun.spawn(argv, { env, cwd, stdin: "ignore", stdout: "pipe", stderr: "pipe" });
    kpm = spawned.pid;
    exited = spawned.exited;
  }
  tracker.track(kpm);
  const child = tracker.track(await waitFor("the child's pid", () => pidFrom(pidFile)));
  return { kpm, child, exited };
}

async function killKpm(run: Started): Promise<void> {
  process.kill(run.kpm, "SIGKILL");
  await waitFor("kpm to die", () => (isAlive(run.kpm) ? undefined : true));
}

describe.if(process.platform === "linux")("the child dies with kpm", () => {
  for (const tty of [false, true]) {
    const where = tty ? "on a terminal" : "without a terminal";

    // setpriv's parent-death signal where util-linux's setpriv exists, else the kpm exec step.
    for (const [launcher, env] of [
      ["setpriv", {}],
      ["the exec step", { KPM_TEST_NO_SETPRIV: "1" }],
    ] as const) {
      test(`${where}, through ${launcher}: SIGKILL on kpm run → its sleeping child is gone within 2 s`, async () => {
        const run = await startRun("exec sleep 100", { tty, env });
        await waitFor("the child to become sleep", () =>
          commandOf(run.child) === "sleep" ? true : undefined,
        );
        expect(parentOf(run.child)).toBe(run.kpm);
        expect(processGroupOf(run.child)).toBe(tty ? processGroupOf(run.kpm) : run.child);
        await killKpm(run);
        await waitFor("the child to die", () => (isAlive(run.child) ? undefined : true), 2000);
      });
    }

    test(`${where}: SIGKILL on kpm run → its sleeping child is gone within 2 s`, async () => {
      const run = await startRun("exec sleep 100", { tty });
      await waitFor("the child to become sleep", () => (commandOf(run.child) === "sleep" ? true : undefined));
      expect(parentOf(run.child)).toBe(run.kpm);
      // Without a terminal the child leads its own group; on one it shares kpm's (foreground) group.
      expect(processGroupOf(run.child)).toBe(tty ? processGroupOf(run.kpm) : run.child);
      if (tty) expect(readlinkSync(`/proc/${run.child}/fd/0`)).toStartWith("/dev/pts/");
      await killKpm(run);
      await waitFor("the child to die", () => (isAlive(run.child) ? undefined : true), 2000);
    });

    test(`${where}: with the exec step switched off the child survives kpm's SIGKILL (the orphan)`, async () => {
      const run = await startRun("exec sleep 100", { tty, env: unhardened });
      await waitFor("the child to become sleep", () => (commandOf(run.child) === "sleep" ? true : undefined));
      await killKpm(run);
      await Bun.sleep(1000);
      expect(isAlive(run.child)).toBe(true);
      expect(parentOf(run.child)).not.toBe(run.kpm);
    });

    test(`${where}: SIGUSR1 reaches the child (kpm lives on), then SIGKILL on kpm still takes it`, async () => {
      const marks = fresh("marks");
      const run = await startRun(
        `trap 'echo usr1 >> ${marks}' USR1; echo ready >> ${marks}; while :; do sleep 0.05; done`,
        { tty },
      );
      await waitFor("the trap", () => (readText(marks).includes("ready") ? true : undefined));
      process.kill(run.kpm, "SIGUSR1");
      await waitFor("the child's USR1 trap", () => (readText(marks).includes("usr1") ? true : undefined));
      expect(isAlive(run.kpm)).toBe(true);
      await killKpm(run);
      await waitFor("the child to die", () => (isAlive(run.child) ? undefined : true), 2000);
    });
  }

  test("without a terminal SIGUSR2 and SIGWINCH are forwarded too, and kpm exits with the child", async () => {
    const marks = fresh("marks");
    const run = await startRun(
      [
        `trap 'echo usr2 >> ${marks}' USR2`,
        `trap 'echo winch >> ${marks}' WINCH`,
        "trap 'exit 7' TERM",
        `echo ready >> ${marks}`,
        "while :; do sleep 0.05; done",
      ].join("; "),
      { tty: false },
    );
    await waitFor("the traps", () => (readText(marks).includes("ready") ? true : undefined));
    process.kill(run.kpm, "SIGUSR2");
    await waitFor("USR2", () => (readText(marks).includes("usr2") ? true : undefined));
    process.kill(run.kpm, "SIGWINCH");
    await waitFor("WINCH", () => (readText(marks).includes("winch") ? true : undefined));
    process.kill(run.kpm, "SIGTERM");
    expect(await run.exited).toBe(7);
  });

  test("without a terminal SIGTSTP stops the child and kpm, SIGCONT resumes both", async () => {
    const run = await startRun("exec sleep 100", { tty: false });
    await waitFor("the child to become sleep", () => (commandOf(run.child) === "sleep" ? true : undefined));
    process.kill(run.kpm, "SIGTSTP");
    await waitFor("both to stop", () =>
      processState(run.kpm) === "T" && processState(run.child) === "T" ? true : undefined,
    );
    process.kill(run.kpm, "SIGCONT");
    await waitFor("both to resume", () =>
      processState(run.kpm) !== "T" && processState(run.child) === "S" ? true : undefined,
    );
  });
});

describe.if(process.platform === "linux")("the exec step", () => {
  async function runScript(script: string, env: Record<string, string>, prefix: string[] = []) {
    const argv = runArgv(script);
    return runToEnd([...prefix, ...argv.slice(0, 4), "--no-masking", ...argv.slice(4)], {
      env: { ...fixture.sandbox.env, ...env },
      cwd: fixture.sandbox.home,
      onSpawn: (pid) => tracker.track(pid),
    });
  }

  test("gives the child what a direct spawn gives: environment (300 KB here), argv, signals, descriptors", async () => {
    const big = { BIG1: "a".repeat(100_000), BIG2: "b".repeat(100_000), BIG3: "c".repeat(100_000) };
    const script = [
      'echo "$SECRET ${#BIG1} ${#BIG2} ${#BIG3}"',
      "tr '\\0' ' ' < /proc/$$/cmdline; echo",
      "grep -E '^Sig(Blk|Ign)' /proc/$$/status",
      "ls /proc/$$/fd",
      "env | grep -v KPM_TEST_UNHARDENED | sort",
    ].join("; ");
    const direct = await runScript(script, { ...big, ...unhardened });
    for (const launcher of [{}, { KPM_TEST_NO_SETPRIV: "1" }] as Record<string, string>[]) {
      const stepped = await runScript(script, { ...big, ...launcher });
      expect(stepped.stdout.split("\n")[0]).toBe(`${SECRET} 100000 100000 100000`);
      // Bun itself ignores SIGPIPE and SIGXFSZ; the step restores their defaults before execve.
      expect(stepped.stdout).toContain("SigBlk:\t0000000000000000\nSigIgn:\t0000000000000000\n");
      expect({ ...stepped, stdout: stepped.stdout.replace(/^KPM_TEST_NO_SETPRIV=1\n/m, "") }).toEqual(direct);
    }
  });

  test("the child inherits kpm run's soft core limit of 0 (the hard limit stays)", async () => {
    const limits = "grep 'core file' /proc/$$/limits";
    const core = ["prlimit", "--core=4096:8192", "--"];
    expect((await runScript(limits, {}, core)).stdout).toMatch(/^Max core file size\s+0\s+8192\s/);
    expect((await runScript(limits, unhardened, core)).stdout).toMatch(/^Max core file size\s+4096\s+8192\s/);
  });

  test("the early step is cancelled when no secret arrives or the command is unknown", async () => {
    const template = join(fixture.sandbox.home, "missing.template");
    writeFileSync(template, "MISSING=${kms:kv/nowhere#field}\nPLAIN=1\n");
    const run = (argv: string[]) =>
      Bun.spawnSync([KPM_BINARY, "run", "--allow-missing", "--from", "missing.template", "--", ...argv], {
        env: fixture.sandbox.env,
        cwd: fixture.sandbox.home,
        stdout: "pipe",
        stderr: "pipe",
      });
    const unresolved = run(["sh", "-c", 'echo "${MISSING-unset} $PLAIN"']);
    expect(unresolved.exitCode).toBe(0);
    expect(unresolved.stdout.toString()).toBe("unset 1\n");
    expect(unresolved.stderr.toString()).toStartWith("kpm: unset MISSING: ");
    const unknown = Bun.spawnSync([KPM_BINARY, "run", "--from", "app.template", "--", "no-such-tool-x"], {
      env: fixture.sandbox.env,
      cwd: fixture.sandbox.home,
      stderr: "pipe",
    });
    expect({ code: unknown.exitCode, stderr: unknown.stderr.toString() }).toEqual({
      code: 127,
      stderr: "error: run no-such-tool-x: executable file not found in $PATH\n",
    });
  });

  test("kpm _exec refuses direct use, and dies with SIGKILL when its parent is not the expected one", async () => {
    const direct = Bun.spawnSync([KPM_BINARY, "_exec"], { stdout: "pipe", stderr: "pipe" });
    expect({ code: direct.exitCode, stderr: direct.stderr.toString() }).toEqual({
      code: 2,
      stderr: "kpm _exec: internal command of kpm run; not for direct use\n",
    });
    // The step checks getppid() after PR_SET_PDEATHSIG: a parent that already died is caught.
    const orphaned = Bun.spawnSync([KPM_BINARY, "_exec", "1"], { stderr: "pipe" });
    expect(orphaned.signalCode).toBe("SIGKILL");
  });
});

function readText(path: string): string {
  try {
    return readFileSync(path, "utf8");
  } catch {
    return "";
  }
}
