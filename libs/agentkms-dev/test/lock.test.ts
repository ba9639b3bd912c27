import { afterAll, describe, expect, test } from "bun:test";
import { spawnSync } from "node:child_process";
import {
  chmodSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  symlinkSync,
  utimesSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DevError } from "../src/errors.ts";
import { storeLockPath, withStoreLock } from "../src/lock.ts";

const roots: string[] = [];

afterAll(() => {
  for (const root of roots) rmSync(root, { recursive: true, force: true });
});

function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), "kpm-lock-"));
  roots.push(dir);
  return dir;
}

/** The PID of a process that has already exited. */
function deadPid(): number {
  const child = spawnSync("sh", ["-c", "echo $$"], { encoding: "utf8" });
  return Number(child.stdout.trim());
}

async function rejection(promise: Promise<unknown>): Promise<DevError> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof DevError) return error;
    throw error;
  }
  throw new Error("expected a DevError");
}

function makeOld(path: string): void {
  const past = new Date(Date.now() - 60_000);
  utimesSync(path, past, past);
}

describe("withStoreLock", () => {
  test("holds secrets.enc.lock with our PID while fn runs and removes it after", async () => {
    const dir = tempDir();
    const lockFile = storeLockPath(dir);
    const seen = await withStoreLock(dir, () => readFileSync(lockFile, "utf8"));
    expect(seen).toBe(`${process.pid}\n`);
    expect(existsSync(lockFile)).toBe(false);
  });

  test("releases the lock when fn throws and passes the error on", async () => {
    const dir = tempDir();
    await expect(
      withStoreLock(dir, async () => {
        throw new Error("boom");
      }),
    ).rejects.toThrow("boom");
    expect(existsSync(storeLockPath(dir))).toBe(false);
    expect(await withStoreLock(dir, () => 42)).toBe(42);
  });

  test("callers in one process never overlap", async () => {
    const dir = tempDir();
    let active = 0;
    let maxActive = 0;
    const order: number[] = [];
    await Promise.all(
      Array.from({ length: 20 }, (_, index) =>
        withStoreLock(dir, async () => {
          active += 1;
          maxActive = Math.max(maxActive, active);
          await Bun.sleep(1);
          order.push(index);
          active -= 1;
        }),
      ),
    );
    expect(maxActive).toBe(1);
    expect(order).toEqual(Array.from({ length: 20 }, (_, index) => index));
  });

  test("two spellings of one dir (a symlink) share the in-process queue", async () => {
    const dir = tempDir();
    const link = `${dir}-link`;
    roots.push(link);
    symlinkSync(dir, link);
    let active = 0;
    let maxActive = 0;
    const work = async () => {
      active += 1;
      maxActive = Math.max(maxActive, active);
      await Bun.sleep(1);
      active -= 1;
    };
    await Promise.all([
      withStoreLock(dir, work),
      withStoreLock(link, work),
      withStoreLock(`${link}/.`, work),
    ]);
    expect(maxActive).toBe(1);
  });

  test("a lock held by a dead PID is taken over", async () => {
    const dir = tempDir();
    writeFileSync(storeLockPath(dir), `${deadPid()}\n`);
    expect(await withStoreLock(dir, () => readFileSync(storeLockPath(dir), "utf8"))).toBe(`${process.pid}\n`);
    expect(existsSync(storeLockPath(dir))).toBe(false);
  });

  test("a lock file naming our own PID is a leftover of an earlier process and is taken over", async () => {
    const dir = tempDir();
    writeFileSync(storeLockPath(dir), `${process.pid}\n`);
    expect(await withStoreLock(dir, () => "ran", { timeoutMs: 0 })).toBe("ran");
  });

  test("an empty lock file older than the grace period is taken over", async () => {
    const dir = tempDir();
    writeFileSync(storeLockPath(dir), "");
    makeOld(storeLockPath(dir));
    expect(await withStoreLock(dir, () => "ran", { timeoutMs: 0 })).toBe("ran");
  });

  test("a fresh empty lock file is respected (its owner is still writing its PID)", async () => {
    const dir = tempDir();
    writeFileSync(storeLockPath(dir), "");
    const error = await rejection(withStoreLock(dir, () => "ran", { timeoutMs: 20 }));
    expect(error.message).toBe(`store is locked by PID unknown (${storeLockPath(dir)})`);
  });

  test("a lock held by a live process times out with store_locked naming the PID and file", async () => {
    const dir = tempDir();
    const holder = Bun.spawn(["sleep", "30"]);
    try {
      writeFileSync(storeLockPath(dir), `${holder.pid}\n`);
      let ran = false;
      const error = await rejection(
        withStoreLock(
          dir,
          () => {
            ran = true;
          },
          { timeoutMs: 50 },
        ),
      );
      expect(error.code).toBe("store_locked");
      expect(error.message).toBe(`store is locked by PID ${holder.pid} (${storeLockPath(dir)})`);
      expect(ran).toBe(false);
      expect(readFileSync(storeLockPath(dir), "utf8")).toBe(`${holder.pid}\n`);
    } finally {
      holder.kill();
      await holder.exited;
    }
  });

  test("the default wait is long enough to outlast a lock held briefly by another process", async () => {
    const dir = tempDir();
    const child = Bun.spawn([process.execPath, join(import.meta.dir, "helpers", "hold-lock.ts"), dir], {
      stdin: "pipe",
      stdout: "pipe",
    });
    const reader = child.stdout.getReader();
    const first = await reader.read();
    expect(new TextDecoder().decode(first.value)).toBe("locked\n");
    expect(readFileSync(storeLockPath(dir), "utf8")).toBe(`${child.pid}\n`);
    let released = false;
    const ours = withStoreLock(dir, () => released);
    // Let our waiter spin against the child's lock before the child lets go.
    await Bun.sleep(100);
    released = true;
    child.stdin.end();
    expect(await ours).toBe(true);
    expect(await child.exited).toBe(0);
  });

  test("a process owned by another user still counts as alive", async () => {
    // Run as nobody against a lock naming PID 1 (root's init): kill(1, 0) fails with EPERM.
    const dir = tempDir();
    chmodSync(dir, 0o777);
    writeFileSync(storeLockPath(dir), "1\n");
    chmodSync(storeLockPath(dir), 0o666);
    const script = `
      import { withStoreLock } from ${JSON.stringify(join(import.meta.dir, "..", "src", "lock.ts"))};
      try { await withStoreLock(${JSON.stringify(dir)}, () => {}, { timeoutMs: 20 }); console.log("acquired"); }
      catch (error) { console.log(error.code); }
    `;
    const run = spawnSync(
      "setpriv",
      ["--reuid=65534", "--regid=65534", "--clear-groups", process.execPath, "-e", script],
      { encoding: "utf8", cwd: dir, env: { ...process.env, HOME: dir } },
    );
    expect(run.stderr).toBe("");
    expect(run.stdout.trim()).toBe("store_locked");
  });

  test("an abandoned takeover guard is cleared so a stale lock can still be taken over", async () => {
    const dir = tempDir();
    writeFileSync(storeLockPath(dir), `${deadPid()}\n`);
    writeFileSync(`${storeLockPath(dir)}.takeover`, "");
    makeOld(`${storeLockPath(dir)}.takeover`);
    expect(await withStoreLock(dir, () => "ran")).toBe("ran");
    expect(existsSync(`${storeLockPath(dir)}.takeover`)).toBe(false);
  });

  test("a fresh takeover guard of another waiter makes us wait rather than break the lock", async () => {
    const dir = tempDir();
    writeFileSync(storeLockPath(dir), `${deadPid()}\n`);
    writeFileSync(`${storeLockPath(dir)}.takeover`, "");
    const error = await rejection(withStoreLock(dir, () => "ran", { timeoutMs: 20 }));
    expect(error.code).toBe("store_locked");
    expect(existsSync(`${storeLockPath(dir)}.takeover`)).toBe(true);
  });

  test("filesystem failures are io errors naming the lock file", async () => {
    const missing = join(tempDir(), "no", "such", "dir");
    const error = await rejection(withStoreLock(missing, () => "ran"));
    expect(error.code).toBe("io");
    expect(error.message).toStartWith(`create ${storeLockPath(missing)}: `);

    const dir = tempDir();
    mkdirSync(storeLockPath(dir));
    const unreadable = await rejection(withStoreLock(dir, () => "ran"));
    expect(unreadable.message).toStartWith(`read ${storeLockPath(dir)}: `);
  });
});
