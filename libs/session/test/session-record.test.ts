// Session records (spec §7.3) and stale-session cleanup.
import { afterEach, describe, expect, test } from "bun:test";
import { existsSync, mkdirSync, readdirSync, statSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { cleanupStaleSessions, readSessionRecord, type SessionRecord } from "@kpm/session";
import { writeSessionRecord } from "../src/session-record.ts";
import { makePrivateDir, removeCreatedDirs } from "./helpers/fixtures.ts";

afterEach(removeCreatedDirs);

function record(
  dir: string,
  session: string,
  pid: number,
  socket = join(dir, `${session}.sock`),
): SessionRecord {
  return {
    session,
    pid,
    socket,
    strict: false,
    created_at: "2025-01-01T00:00:00Z",
    expires_at: "2025-01-01T01:00:00Z",
    idle_timeout: null,
  };
}

async function deadPid(): Promise<number> {
  const child = Bun.spawn(["true"]);
  await child.exited;
  return child.pid;
}

/** A socket file that outlives its process, as a crashed listener leaves behind. */
async function orphanSocket(path: string): Promise<void> {
  const child = Bun.spawn(
    [
      process.execPath,
      "-e",
      `Bun.listen({ unix: ${JSON.stringify(path)}, socket: { data() {} } }); console.log("up"); await Bun.sleep(60000);`,
    ],
    { stdout: "pipe" },
  );
  await child.stdout.getReader().read();
  child.kill("SIGKILL");
  await child.exited;
}

describe("session records", () => {
  test("are written 0600 and read back", () => {
    const dir = makePrivateDir();
    const written = record(dir, "s0000aaaa", process.pid);
    writeSessionRecord(dir, written);
    expect(statSync(join(dir, "s0000aaaa.json")).mode & 0o777).toBe(0o600);
    expect(readSessionRecord(dir, "s0000aaaa")).toEqual(written);
  });

  test("never write through a planted symbolic link", () => {
    const dir = makePrivateDir();
    const target = join(dir, "elsewhere");
    symlinkSync(target, join(dir, "s0000aaaa.json"));
    expect(() => writeSessionRecord(dir, record(dir, "s0000aaaa", process.pid))).toThrow();
    expect(existsSync(target)).toBe(false);
  });

  test("read as null when missing, malformed, for another session, or for an unsafe id", () => {
    const dir = makePrivateDir();
    expect(readSessionRecord(dir, "s0000aaaa")).toBeNull();
    writeFileSync(join(dir, "s0000bbbb.json"), "{not json");
    expect(readSessionRecord(dir, "s0000bbbb")).toBeNull();
    writeFileSync(join(dir, "s0000cccc.json"), JSON.stringify({ session: "s0000cccc" }));
    expect(readSessionRecord(dir, "s0000cccc")).toBeNull();
    writeFileSync(join(dir, "s0000dddd.json"), JSON.stringify(record(dir, "s0000eeee", 1)));
    expect(readSessionRecord(dir, "s0000dddd")).toBeNull();
    expect(readSessionRecord(dir, "../etc/passwd")).toBeNull();
  });
});

describe("cleanupStaleSessions", () => {
  test("removes records of dead processes with their sockets, and keeps live ones", async () => {
    const dir = makePrivateDir();
    const dead = await deadPid();
    await orphanSocket(join(dir, "s0000dead.sock"));
    writeSessionRecord(dir, record(dir, "s0000dead", dead));
    writeSessionRecord(dir, record(dir, "s00000001", process.pid));
    cleanupStaleSessions(dir);
    expect(readdirSync(dir)).toEqual(["s00000001.json"]);
  });

  test("never removes a socket outside the runtime directory, nor a non-socket", async () => {
    const dir = makePrivateDir();
    const outside = makePrivateDir();
    const dead = await deadPid();
    await orphanSocket(join(outside, "s0000dead.sock"));
    writeSessionRecord(dir, record(dir, "s0000dead", dead, join(outside, "s0000dead.sock")));
    writeFileSync(join(dir, "s0000file.sock"), "a file, not a socket");
    writeSessionRecord(dir, record(dir, "s0000file", dead));
    mkdirSync(join(dir, "s0000dir.sock"));
    writeSessionRecord(dir, record(dir, "s0000dir", dead, join(dir, "..", "kpmx", "s0000dir.sock")));
    cleanupStaleSessions(dir);
    expect(readdirSync(outside)).toEqual(["s0000dead.sock"]);
    expect(readdirSync(dir).sort()).toEqual(["s0000dir.sock", "s0000file.sock"]);
  });

  test("leaves unreadable or mismatched records and other files alone", async () => {
    const dir = makePrivateDir();
    const dead = await deadPid();
    writeFileSync(join(dir, "s0000bad.json"), "{");
    writeFileSync(join(dir, "s0000odd.json"), JSON.stringify(record(dir, "s0000xyz", dead)));
    writeFileSync(join(dir, "notes.txt"), "");
    cleanupStaleSessions(dir);
    expect(readdirSync(dir).sort()).toEqual(["notes.txt", "s0000bad.json", "s0000odd.json"]);
  });

  test("treats a process of another user as alive", () => {
    const dir = makePrivateDir();
    // pid 1 exists; as non-root kill(1, 0) fails with EPERM, as root it succeeds: alive either way.
    writeSessionRecord(dir, record(dir, "s00000002", 1));
    cleanupStaleSessions(dir);
    expect(readdirSync(dir)).toEqual(["s00000002.json"]);
  });

  test("ignores a missing runtime directory", () => {
    expect(() => cleanupStaleSessions(join(makePrivateDir(), "missing"))).not.toThrow();
  });
});
