// launchListener against real listener processes (helpers/listen-entry.ts): the stdin
// hand-over, argv and environment hygiene, no key material anywhere on disk, concurrency,
// expiry, signals, and start failures.
import { afterEach, describe, expect, test } from "bun:test";
import { mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import {
  cleanupStaleSessions,
  type ListenerStart,
  launchListener,
  pingListener,
  readSessionRecord,
  requestDecrypt,
  SessionError,
  stopListener,
} from "@kpm/session";
import { encryptValue, formatStrictBlob } from "@kpm/strict-codec";
import { LISTEN_COMMAND, makePrivateDir, removeCreatedDirs, testKey } from "./helpers/fixtures.ts";
import { isAlive, killStarted, trackPid, waitForExit } from "./helpers/processes.ts";

afterEach(() => {
  killStarted();
  removeCreatedDirs();
});

/** An isolated world: private HOME, TMPDIR and XDG_RUNTIME_DIR. */
function makeWorld() {
  const base = makePrivateDir("kpml-");
  const home = join(base, "h");
  const tmp = join(base, "t");
  const xdg = join(base, "x");
  for (const dir of [home, tmp, xdg]) mkdirSync(dir, { mode: 0o700 });
  const env = {
    HOME: home,
    TMPDIR: tmp,
    XDG_RUNTIME_DIR: xdg,
    PATH: process.env.PATH,
    USER: "tester",
    LANG: "C.UTF-8",
    SECRET_TOKEN: "inherited-secret-must-not-pass",
    BUN_CONFIG_VERBOSE_FETCH: "1",
  };
  return { base, home, tmp, xdg, env, runtimeDir: join(xdg, "kpm") };
}

async function launchDefault(
  world: ReturnType<typeof makeWorld>,
  sessionId: string,
  key: Uint8Array,
  ttl = 3600,
) {
  const result = await launchListener({
    command: LISTEN_COMMAND,
    runtimeDir: world.runtimeDir,
    env: world.env,
    start: { mode: "default", sessionId, ttlSeconds: ttl, sessionKey: key.slice() },
  });
  trackPid(result.pid);
  return result;
}

function filesUnder(dir: string): string[] {
  const files: string[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true, recursive: true })) {
    if (entry.isFile()) files.push(join(entry.parentPath, entry.name));
  }
  return files;
}

describe("default-mode listener process", () => {
  test("starts detached with argv exactly '<command> _listen --session <sid>' and a minimal environment", async () => {
    const world = makeWorld();
    const { pid, socket } = await launchDefault(world, "s12345678", testKey());
    expect(socket).toBe(join(world.runtimeDir, "s12345678.sock"));
    expect(statSync(world.runtimeDir).mode & 0o777).toBe(0o700);
    const argv = readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0").slice(0, -1);
    expect(argv).toEqual([...LISTEN_COMMAND, "_listen", "--session", "s12345678"]);
    const environ = readFileSync(`/proc/${pid}/environ`, "utf8").split("\0").filter(Boolean);
    const names = environ.map((line) => line.slice(0, line.indexOf("=")));
    for (const name of names)
      expect(["HOME", "USER", "PATH", "TMPDIR", "XDG_RUNTIME_DIR", "LANG", "LC_ALL"]).toContain(name);
    expect(names).toContain("XDG_RUNTIME_DIR");
    // setsid: the listener leads its own session, away from the terminal.
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    expect(Number(fields[3])).toBe(pid);
    expect(readFileSync(`/proc/${pid}/cwd/../kpm/s12345678.json`, "utf8")).toContain(`"pid":${pid}`);
  });

  test("decrypts blobs encrypted with the key it was handed, and zeroes the caller's key buffer", async () => {
    const world = makeWorld();
    const key = testKey(3);
    const handed = key.slice();
    const { socket, pid } = await launchListener({
      command: LISTEN_COMMAND,
      runtimeDir: world.runtimeDir,
      env: world.env,
      start: { mode: "default", sessionId: "s0000beef", ttlSeconds: 600, sessionKey: handed },
    });
    trackPid(pid);
    expect(handed.every((byte) => byte === 0)).toBe(true);
    expect(await requestDecrypt(socket, encryptValue(key, "s0000beef", "s3cr3t"))).toEqual({
      ok: true,
      plaintext: "s3cr3t",
    });
    const ping = await pingListener(socket);
    expect(ping?.session).toBe("s0000beef");
    expect(ping?.strict).toBe(false);
  });

  test("leaves no key material or plaintext on disk, in argv or in the environment", async () => {
    const world = makeWorld();
    const key = testKey(11);
    const marker = "PLAINTEXT-MARKER-4f1c9a";
    const { socket, pid } = await launchDefault(world, "s0badf00", key);
    expect(await requestDecrypt(socket, encryptValue(key, "s0badf00", marker))).toEqual({
      ok: true,
      plaintext: marker,
    });

    const needles = [
      Buffer.from(key),
      Buffer.from(Buffer.from(key).toString("hex")),
      Buffer.from(Buffer.from(key).toString("base64")),
      Buffer.from(Buffer.from(key).toString("base64url")),
      Buffer.from(marker),
    ];
    const haystacks = [
      ...filesUnder(world.base),
      ...filesUnder(world.runtimeDir),
      `/proc/${pid}/cmdline`,
      `/proc/${pid}/environ`,
    ];
    expect(haystacks.length).toBeGreaterThan(3);
    for (const path of haystacks) {
      const content = readFileSync(path);
      for (const needle of needles) expect(content.includes(needle)).toBe(false);
    }
  });

  test("answers 500 concurrent decrypt connections correctly", async () => {
    const world = makeWorld();
    const key = testKey(5);
    const { socket } = await launchDefault(world, "s00000500", key);
    const results = await Promise.all(
      Array.from({ length: 500 }, (_, i) =>
        requestDecrypt(socket, encryptValue(key, "s00000500", `value-${i}`)),
      ),
    );
    results.forEach((result, i) => {
      expect(result).toEqual({ ok: true, plaintext: `value-${i}` });
    });
  });

  test("exits at its TTL, removing socket and record; later decrypts find no listener", async () => {
    const world = makeWorld();
    const key = testKey();
    const { socket, pid } = await launchDefault(world, "s0000000f", key, 2);
    const blob = encryptValue(key, "s0000000f", "x");
    expect((await requestDecrypt(socket, blob)).ok).toBe(true);
    await waitForExit(pid);
    expect(readdirSync(world.runtimeDir)).toEqual([]);
    const late = await requestDecrypt(socket, blob).catch((error: unknown) => error);
    expect(late).toBeInstanceOf(SessionError);
    expect((late as SessionError).code).toBe("no_listener");
  });

  test("stopListener ends it with SIGTERM, removing socket and record", async () => {
    const world = makeWorld();
    const { socket, pid } = await launchDefault(world, "s0000aaaa", testKey());
    expect(await stopListener(world.runtimeDir, "s0000aaaa", socket)).toBe(true);
    await waitForExit(pid);
    expect(readdirSync(world.runtimeDir)).toEqual([]);
    expect(await pingListener(socket)).toBeNull();
    expect(await stopListener(world.runtimeDir, "s0000aaaa", socket)).toBe(false);
  });

  test("stopListener refuses to signal a process that is not the session's listener", async () => {
    const world = makeWorld();
    const bystander = Bun.spawn(["sleep", "30"]);
    trackPid(bystander.pid);
    mkdirSync(world.runtimeDir, { mode: 0o700 });
    const socket = join(world.runtimeDir, "s0000bbbb.sock");
    writeFileSync(
      join(world.runtimeDir, "s0000bbbb.json"),
      JSON.stringify({
        session: "s0000bbbb",
        pid: bystander.pid,
        socket,
        strict: false,
        created_at: "2025-01-01T00:00:00Z",
        expires_at: "2025-01-01T01:00:00Z",
        idle_timeout: null,
      }),
    );
    expect(await stopListener(world.runtimeDir, "s0000bbbb", socket)).toBe(false);
    expect(isAlive(bystander.pid)).toBe(true);
  });
});

describe("strict listener process", () => {
  function strictWorld() {
    const world = makeWorld();
    const values = join(world.base, "values.json");
    const calls = join(world.base, "calls.log");
    writeFileSync(values, JSON.stringify({ "kv|db/prod|password": { value: "pw-from-kms" } }));
    writeFileSync(calls, "");
    const start = (server = "https://kms.invalid"): ListenerStart => ({
      mode: "strict",
      sessionId: "strict-0badcafe",
      idleTimeoutSeconds: 3600,
      server,
      clientCert: values,
      clientKey: calls,
      ca: "/unused/ca.crt",
      refs: [{ Type: "kv", Path: "db/prod", Key: "password", Default: null }],
    });
    return { world, calls, start };
  }

  test("serves issued references and makes no request for forged ones", async () => {
    const { world, calls, start } = strictWorld();
    const { socket, pid } = await launchListener({
      command: LISTEN_COMMAND,
      runtimeDir: world.runtimeDir,
      env: world.env,
      start: start(),
    });
    trackPid(pid);
    expect(readSessionRecord(world.runtimeDir, "strict-0badcafe")).toMatchObject({
      strict: true,
      idle_timeout: 3600,
    });
    const forged = formatStrictBlob("strict-0badcafe", {
      Type: "kv",
      Path: "db/other",
      Key: "password",
      Default: "",
    });
    expect(await requestDecrypt(socket, forged)).toEqual({
      ok: false,
      error: "reference not issued for this session",
    });
    expect(readFileSync(calls, "utf8")).toBe("");
    const issued = formatStrictBlob("strict-0badcafe", {
      Type: "kv",
      Path: "db/prod",
      Key: "password",
      Default: "",
    });
    expect(await requestDecrypt(socket, issued)).toEqual({ ok: true, plaintext: "pw-from-kms" });
    expect(readFileSync(calls, "utf8").trim().split("\n")).toHaveLength(1);
    expect(await pingListener(socket)).toEqual({
      session: "strict-0badcafe",
      expires_at: null,
      strict: true,
    });
  });

  test("a client that cannot be built fails the launch with the listener's reason", async () => {
    const { world, start } = strictWorld();
    const failure = await launchListener({
      command: LISTEN_COMMAND,
      runtimeDir: world.runtimeDir,
      env: world.env,
      start: start("fake://broken"),
    }).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(SessionError);
    expect((failure as SessionError).code).toBe("listener_start");
    expect((failure as SessionError).message).toBe(
      "decrypt listener failed to start: strict listener: error creating AgentKMS client: TLS config: read CA /nonexistent/ca.crt: ENOENT",
    );
    expect(readdirSync(world.runtimeDir)).toEqual([]);
  });
});

describe("launch failures", () => {
  const start = (sessionId = "s0000cccc"): ListenerStart => ({
    mode: "default",
    sessionId,
    ttlSeconds: 60,
    sessionKey: testKey(),
  });

  test("an existing socket path means the session id is taken; the path is left alone", async () => {
    const world = makeWorld();
    mkdirSync(world.runtimeDir, { mode: 0o700 });
    const existing = join(world.runtimeDir, "s0000cccc.sock");
    writeFileSync(existing, "not ours");
    const failure = await launchListener({
      command: LISTEN_COMMAND,
      runtimeDir: world.runtimeDir,
      env: world.env,
      start: start(),
    }).catch((error: unknown) => error);
    expect((failure as SessionError).code).toBe("sid_taken");
    expect(readFileSync(existing, "utf8")).toBe("not ours");
  });

  test("a socket path over 103 bytes is refused with the spec text", async () => {
    const world = makeWorld();
    const longDir = join(world.xdg, "d".repeat(100 - world.xdg.length));
    mkdirSync(longDir, { mode: 0o700 });
    const runtimeDir = join(longDir, "kpm");
    const socketPath = join(runtimeDir, "s0000cccc.sock");
    const failure = await launchListener({
      command: LISTEN_COMMAND,
      runtimeDir,
      env: { ...world.env, XDG_RUNTIME_DIR: longDir },
      start: start(),
    }).catch((error: unknown) => error);
    expect((failure as SessionError).code).toBe("socket_path_too_long");
    expect((failure as SessionError).message).toBe(
      `socket path too long (${socketPath.length} bytes, max 103): ${socketPath}; set XDG_RUNTIME_DIR or TMPDIR to a shorter directory`,
    );
  });

  test("a runtime directory the listener would not resolve from its environment is refused up front", async () => {
    const world = makeWorld();
    const elsewhere = join(world.base, "elsewhere");
    const failure = await launchListener({
      command: LISTEN_COMMAND,
      runtimeDir: elsewhere,
      env: world.env,
      start: start(),
    }).catch((error: unknown) => error);
    expect((failure as SessionError).message).toBe(
      `decrypt listener failed to start: its runtime directory would be ${world.runtimeDir}, not ${elsewhere}`,
    );
  });

  test("a command that exits without reporting ready fails the launch", async () => {
    const world = makeWorld();
    const failure = await launchListener({
      command: ["/bin/false"],
      runtimeDir: world.runtimeDir,
      env: world.env,
      start: start(),
    }).catch((error: unknown) => error);
    expect((failure as SessionError).message).toBe(
      "decrypt listener failed to start: it exited without reporting ready",
    );
  });

  test("a command that prints something else fails the launch", async () => {
    const world = makeWorld();
    const failure = await launchListener({
      command: ["/bin/echo", "hello"],
      runtimeDir: world.runtimeDir,
      env: world.env,
      start: start(),
    }).catch((error: unknown) => error);
    expect((failure as SessionError).message).toBe(
      "decrypt listener failed to start: unexpected status output",
    );
  });

  test("a listener that never reports ready is terminated after 3 s", async () => {
    const world = makeWorld();
    const marker = join(world.base, "started");
    const script = `require("node:fs").writeFileSync(${JSON.stringify(marker)}, String(process.pid)); await Bun.sleep(60000);`;
    const failure = await launchListener({
      command: [process.execPath, "-e", script],
      runtimeDir: world.runtimeDir,
      env: world.env,
      start: start(),
    }).catch((error: unknown) => error);
    expect((failure as SessionError).message).toBe("decrypt listener failed to start: timed out after 3s");
    const pid = Number(readFileSync(marker, "utf8"));
    await waitForExit(pid);
    expect(isAlive(pid)).toBe(false);
  }, 15_000);

  test("launching cleans up records of dead listeners and their sockets", async () => {
    const world = makeWorld();
    mkdirSync(world.runtimeDir, { mode: 0o700 });
    const staleSocket = join(world.runtimeDir, "s0000dead.sock");
    const binder = Bun.spawn(
      [
        process.execPath,
        "-e",
        `Bun.listen({ unix: ${JSON.stringify(staleSocket)}, socket: { data() {} } }); console.log("bound"); await Bun.sleep(60000);`,
      ],
      { stdout: "pipe" },
    );
    const reader = binder.stdout.getReader();
    await reader.read();
    binder.kill("SIGKILL");
    await binder.exited;
    expect(statSync(staleSocket).isSocket()).toBe(true);
    writeFileSync(
      join(world.runtimeDir, "s0000dead.json"),
      JSON.stringify({
        session: "s0000dead",
        pid: binder.pid,
        socket: staleSocket,
        strict: false,
        created_at: "2025-01-01T00:00:00Z",
        expires_at: "2025-01-01T01:00:00Z",
        idle_timeout: null,
      }),
    );
    const { pid } = await launchDefault(world, "s0000eeee", testKey());
    expect(readdirSync(world.runtimeDir).sort()).toEqual(["s0000eeee.json", "s0000eeee.sock"]);
    expect(isAlive(pid)).toBe(true);
    cleanupStaleSessions(world.runtimeDir);
    expect(readdirSync(world.runtimeDir)).toHaveLength(2);
  });
});
