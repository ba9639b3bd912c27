// stopListener's refusals and its bounded wait (the success path is in launch.test.ts).
import { afterEach, expect, test } from "bun:test";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { stopListener } from "@kpm/session";
import { makePrivateDir, removeCreatedDirs } from "./helpers/fixtures.ts";

const children: Array<{ kill(signal?: number | NodeJS.Signals): void }> = [];

afterEach(() => {
  for (const child of children.splice(0)) child.kill("SIGKILL");
  removeCreatedDirs();
});

function writeRecord(dir: string, session: string, pid: number): string {
  const socket = join(dir, `${session}.sock`);
  writeFileSync(
    join(dir, `${session}.json`),
    JSON.stringify({
      session,
      pid,
      socket,
      strict: false,
      created_at: "2025-01-01T00:00:00Z",
      expires_at: "2025-01-01T01:00:00Z",
      idle_timeout: null,
    }),
  );
  return socket;
}

test("returns false without a record", async () => {
  const dir = makePrivateDir();
  expect(await stopListener(dir, "s0000aaaa", join(dir, "s0000aaaa.sock"))).toBe(false);
});

test("returns false when the recorded process is gone", async () => {
  const dir = makePrivateDir();
  const child = Bun.spawn(["true"]);
  await child.exited;
  const socket = writeRecord(dir, "s0000aaaa", child.pid);
  expect(await stopListener(dir, "s0000aaaa", socket)).toBe(false);
});

test("gives up after 2 s when the listener ignores SIGTERM and keeps its socket", async () => {
  const dir = makePrivateDir();
  const stubborn = Bun.spawn(
    [
      process.execPath,
      "-e",
      "process.on('SIGTERM', () => {}); console.log('up'); await Bun.sleep(60000);",
      "_listen",
      "--session",
      "s0000bbbb",
    ],
    { stdout: "pipe" },
  );
  children.push(stubborn);
  await stubborn.stdout.getReader().read();
  const socket = writeRecord(dir, "s0000bbbb", stubborn.pid);
  writeFileSync(socket, "");
  expect(await stopListener(dir, "s0000bbbb", socket)).toBe(false);
  expect(stubborn.exitCode).toBeNull();
});
