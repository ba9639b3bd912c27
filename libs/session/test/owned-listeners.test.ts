// Listeners do not pile up (docs/sessions.md): a listener exits once its owner shell has gone,
// and stopOwnedListeners ends exactly the listeners of one owner that a reload replaces.
import { afterEach, describe, expect, test } from "bun:test";
import { existsSync, readdirSync } from "node:fs";
import { join } from "node:path";
import {
  describeOwner,
  launchListener,
  type OwnerProcess,
  readSessionRecord,
  stopOwnedListeners,
} from "@kpm/session";
import {
  defaultStart,
  LISTEN_COMMAND,
  makePrivateDir,
  removeCreatedDirs,
  startInProcess,
  testKey,
} from "./helpers/fixtures.ts";
import { isAlive, killStarted, trackPid, waitForExit } from "./helpers/processes.ts";

afterEach(() => {
  killStarted();
  removeCreatedDirs();
});

/** A stand-in shell: a process the test ends when the "shell exits". */
function spawnShell(): Bun.Subprocess {
  const shell = Bun.spawn(["sleep", "60"], { stdin: "ignore", stdout: "ignore", stderr: "ignore" });
  trackPid(shell.pid);
  return shell;
}

function runtimeWorld() {
  const base = makePrivateDir("kpmo-");
  const env = { HOME: base, XDG_RUNTIME_DIR: base, PATH: process.env.PATH, LANG: "C.UTF-8" };
  return { env, runtimeDir: join(base, "kpm") };
}

let nextId = 0;

async function launchOwned(
  world: ReturnType<typeof runtimeWorld>,
  owner: OwnerProcess | null,
  replaceable: boolean,
): Promise<{ sessionId: string; pid: number; socket: string }> {
  const sessionId = `s0000${(nextId++).toString(16).padStart(4, "0")}`;
  const { pid, socket } = await launchListener({
    command: LISTEN_COMMAND,
    runtimeDir: world.runtimeDir,
    env: world.env,
    start: { mode: "default", sessionId, ttlSeconds: 3600, sessionKey: testKey(), owner, replaceable },
  });
  trackPid(pid);
  return { sessionId, pid, socket };
}

describe("a listener and its owner shell", () => {
  test("exits within ~1 s of its owner, removing socket and record; without an owner it stays (the old pile-up)", async () => {
    const world = runtimeWorld();
    const shell = spawnShell();
    const owned = await launchOwned(world, describeOwner(shell.pid), true);
    const unowned = await launchOwned(world, null, true);
    expect(readSessionRecord(world.runtimeDir, owned.sessionId)?.owner).toEqual(describeOwner(shell.pid));
    expect(readSessionRecord(world.runtimeDir, unowned.sessionId)?.owner).toBeNull();

    shell.kill("SIGKILL");
    await shell.exited;
    expect(await waitForExit(owned.pid, 3000)).toBe(true);
    expect(existsSync(owned.socket)).toBe(false);
    expect(readSessionRecord(world.runtimeDir, owned.sessionId)).toBeNull();
    // The same shell exit leaves a listener without an owner running: that is what piled up.
    expect(isAlive(unowned.pid)).toBe(true);
    expect(existsSync(unowned.socket)).toBe(true);
  });

  test("in process: the owner check stops the listener like a signal", async () => {
    const runtimeDir = makePrivateDir();
    const shell = spawnShell();
    const start = { ...defaultStart("s0000f00d", runtimeDir, testKey()), owner: describeOwner(shell.pid) };
    const listener = startInProcess(start, { sessionId: "s0000f00d", runtimeDir, ownerPollMs: 20 });
    expect(JSON.parse(await listener.ready).ready).toBe(true);
    expect(readSessionRecord(runtimeDir, "s0000f00d")).toMatchObject({ replaceable: false });
    shell.kill("SIGKILL");
    await shell.exited;
    expect(await listener.exit).toBe(0);
    expect(readdirSync(runtimeDir)).toEqual([]);
  });
});

describe("stopOwnedListeners", () => {
  test("a reload stops only the owner's replaceable listeners, never the new one or another shell's", async () => {
    const world = runtimeWorld();
    const shell = describeOwner(spawnShell().pid);
    const otherShell = describeOwner(spawnShell().pid);
    const loaded = await launchOwned(world, shell, true);
    const asked = await launchOwned(world, shell, false);
    const fresh = await launchOwned(world, shell, true);
    const other = await launchOwned(world, otherShell, true);
    // Same pid, another start time: a recycled pid is another shell.
    const recycled = await launchOwned(world, { pid: shell.pid, start_time: "1" }, true);

    const replaced = await stopOwnedListeners(world.runtimeDir, shell, {
      replaceableOnly: true,
      keep: fresh.sessionId,
    });
    expect(replaced).toEqual([loaded.sessionId]);
    expect(await waitForExit(loaded.pid, 2000)).toBe(true);
    for (const kept of [asked, fresh, other, recycled]) expect(isAlive(kept.pid)).toBe(true);

    // Without the filter (kpm env --unload): every listener of the shell.
    const unloaded = await stopOwnedListeners(world.runtimeDir, shell, { replaceableOnly: false });
    expect(unloaded.sort()).toEqual([asked.sessionId, fresh.sessionId].sort());
    expect(isAlive(other.pid)).toBe(true);
    expect(isAlive(recycled.pid)).toBe(true);
  });

  test("records without an owner (earlier listeners) and a missing runtime directory stop nothing", async () => {
    const world = runtimeWorld();
    const shell = describeOwner(process.pid);
    expect(await stopOwnedListeners(world.runtimeDir, shell, { replaceableOnly: false })).toEqual([]);
    const legacy = await launchOwned(world, null, false);
    expect(await stopOwnedListeners(world.runtimeDir, shell, { replaceableOnly: false })).toEqual([]);
    expect(isAlive(legacy.pid)).toBe(true);
  });
});
