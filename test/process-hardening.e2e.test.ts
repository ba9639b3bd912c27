// kpm processes that hold keys or plaintext are not dumpable and write no core file (Linux):
// `kpm run`, the default listener and the strict listener, each run as `nobody` (CI runs as
// root, and root reads any /proc entry), attacked by another `nobody` process reading
// /proc/<pid>/environ. With KPM_TEST_UNHARDENED=1 the same read succeeds: the defence is what
// stops it. RLIMIT_CORE is read from /proc/<pid>/limits.
import { afterAll, afterEach, beforeAll, describe, expect, test } from "bun:test";
import { chownSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { type Fixture, KPM_BINARY, startFixture } from "./helpers/kpm-env.ts";
import { AS_NOBODY, isAlive, NOBODY, ProcessTracker, pidFrom, waitFor } from "./helpers/processes.ts";
import { ensureCompiledBinary } from "./helpers/run-kpm.ts";

const MARKER = "environ-marker-5f0c1d";
// A core limit to start from that the hardening must drop to 0 (the default is often 0 already).
const START_WITH_CORE = ["prlimit", "--core=4096", "--"];

const tracker = new ProcessTracker();
let fixture: Fixture;
let root: string;
let home: string;
let tmp: string;

beforeAll(async () => {
  ensureCompiledBinary();
  fixture = await startFixture();
  root = mkdtempSync("/tmp/kn-");
  home = join(root, "h");
  tmp = join(root, "t");
  for (const dir of [root, home, tmp, join(tmp, `kpm-${NOBODY}`)]) {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    chownSync(dir, NOBODY, NOBODY);
  }
  writeFileSync(join(home, "plain.template"), "PLAIN=1\n");
  // The strict listener reads its client certificate and key as nobody.
  for (const [name, path] of Object.entries(fixture.server.clientFiles)) {
    writeFileSync(join(home, name), readFileSync(path), { mode: 0o600 });
    chownSync(join(home, name), NOBODY, NOBODY);
  }
});

afterEach(() => tracker.killAll());

afterAll(async () => {
  tracker.killAll();
  rmSync(root, { recursive: true, force: true });
  await fixture?.close();
});

const nobodyEnv = (unhardened: boolean): Record<string, string> => ({
  HOME: home,
  TMPDIR: tmp,
  PATH: process.env.PATH ?? "/usr/bin:/bin",
  USER: MARKER,
  LANG: "C.UTF-8",
  ...(unhardened ? { KPM_TEST_UNHARDENED: "1" } : {}),
});

/** `kpm run` as nobody with a sleeping child; resolves with kpm's pid once the child runs. */
async function startRun(unhardened: boolean): Promise<number> {
  const pidFile = join(root, `child-${Date.now()}-${Math.random()}.pid`);
  const child = Bun.spawn(
    [
      ...AS_NOBODY,
      ...START_WITH_CORE,
      KPM_BINARY,
      "run",
      "--from",
      "plain.template",
      "--",
      "sh",
      "-c",
      `echo $$ > ${pidFile}; exec sleep 100`,
    ],
    { env: nobodyEnv(unhardened), cwd: home, stdin: "ignore", stdout: "ignore", stderr: "ignore" },
  );
  tracker.track(child.pid);
  tracker.track(await waitFor("kpm run's child", () => pidFrom(pidFile)));
  return child.pid;
}

/** `kpm _listen` as nobody, started as `kpm env` starts it; resolves with its pid once ready. */
async function startListener(mode: "default" | "strict", unhardened: boolean): Promise<number> {
  const session = `hard${mode}${unhardened ? "off" : "on"}${Date.now()}`;
  const socket = join(tmp, `kpm-${NOBODY}`, `${session}.sock`);
  const start =
    mode === "default"
      ? { v: 1, mode, session, socket, ttl: 60, session_key: Buffer.alloc(32, 7).toString("base64") }
      : {
          v: 1,
          mode,
          session,
          socket,
          idle_timeout: 60,
          server: fixture.server.addr,
          client_cert: join(home, "cert"),
          client_key: join(home, "key"),
          ca: join(home, "ca"),
          refs: [],
        };
  const child = Bun.spawn([...AS_NOBODY, ...START_WITH_CORE, KPM_BINARY, "_listen", "--session", session], {
    env: nobodyEnv(unhardened),
    cwd: tmp,
    stdin: new TextEncoder().encode(JSON.stringify(start)),
    stdout: "pipe",
    stderr: "ignore",
  });
  tracker.track(child.pid);
  const ready = JSON.parse(await new Response(child.stdout).text()) as { ready: boolean; pid: number };
  expect(ready).toEqual({ ready: true, pid: child.pid });
  return child.pid;
}

/** `kpm _agent` as nobody, as a read command starts it (docs/agent.md); resolves with its pid once ready. */
async function startAgent(unhardened: boolean): Promise<number> {
  const config = join(home, "config.yaml");
  const child = Bun.spawn(
    [...AS_NOBODY, ...START_WITH_CORE, KPM_BINARY, "_agent", "--idle-timeout", "60", "--config", config],
    { env: nobodyEnv(unhardened), cwd: "/", stdin: "ignore", stdout: "pipe", stderr: "ignore" },
  );
  tracker.track(child.pid);
  const reader = child.stdout.getReader();
  const first = await reader.read();
  reader.releaseLock();
  const ready = JSON.parse(new TextDecoder().decode(first.value).trim()) as { ready: boolean; pid: number };
  expect(ready).toEqual({ ready: true, pid: child.pid });
  return child.pid;
}

/** What another nobody process gets from /proc/<pid>/environ. */
function readEnvironAsNobody(pid: number): { code: number; stdout: string; stderr: string } {
  const read = Bun.spawnSync([...AS_NOBODY, "cat", `/proc/${pid}/environ`], {
    stdout: "pipe",
    stderr: "pipe",
  });
  return { code: read.exitCode, stdout: read.stdout.toString(), stderr: read.stderr.toString() };
}

function coreLimit(pid: number): string {
  const line = readFileSync(`/proc/${pid}/limits`, "utf8")
    .split("\n")
    .find((row) => row.startsWith("Max core file size"));
  return (
    line
      ?.split(/\s{2,}/)
      .slice(1, 3)
      .join(" ") ?? ""
  );
}

const subjects: Array<[string, (unhardened: boolean) => Promise<number>]> = [
  ["kpm run", startRun],
  ["the default listener", (unhardened) => startListener("default", unhardened)],
  ["the strict listener", (unhardened) => startListener("strict", unhardened)],
  ["the agent", startAgent],
];

describe.if(process.platform === "linux" && process.getuid?.() === 0)("not dumpable, no core file", () => {
  for (const [name, start] of subjects) {
    test(`${name}: another nobody process cannot read its /proc/<pid>/environ; core size is 0`, async () => {
      const pid = await start(false);
      const read = readEnvironAsNobody(pid);
      expect(read.code).not.toBe(0);
      expect(read.stderr).toContain("Permission denied");
      expect(read.stdout).not.toContain(MARKER);
      expect(coreLimit(pid)).toBe("0 4096");
      expect(isAlive(pid)).toBe(true);
    });

    test(`${name} with the hardening switched off: the same read shows its environment`, async () => {
      const pid = await start(true);
      const read = readEnvironAsNobody(pid);
      expect({ code: read.code, stderr: read.stderr }).toEqual({ code: 0, stderr: "" });
      expect(read.stdout.split("\0")).toContain(`USER=${MARKER}`);
      expect(coreLimit(pid)).toBe("4096 4096");
    });
  }
});
