// readFileBounded against real files and devices: the cap holds for regular files (by fstat and
// while reading), endless devices and FIFOs (fstat says 0), and every failure has a stable code.

import { afterAll, describe, expect, test } from "bun:test";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { BoundedReadError, MiB, readFileBounded, readFileWithMode } from "@kpm/bounded-read";

const dir = mkdtempSync(join(tmpdir(), "kpm-bounded-"));
const writers: Bun.Subprocess[] = [];
afterAll(() => {
  for (const writer of writers) writer.kill();
  rmSync(dir, { recursive: true, force: true });
});

function failure(run: () => unknown): BoundedReadError {
  try {
    run();
  } catch (error) {
    if (error instanceof BoundedReadError) return error;
    throw error;
  }
  throw new Error("expected a BoundedReadError");
}

/** Runs `run` and returns how long it took, in milliseconds. */
function timed(run: () => void): number {
  const started = performance.now();
  run();
  return performance.now() - started;
}

function fifo(name: string): string {
  const path = join(dir, name);
  const made = Bun.spawnSync(["mkfifo", path]);
  if (made.exitCode !== 0) throw new Error(`mkfifo failed: ${made.stderr.toString()}`);
  return path;
}

describe("regular files", () => {
  test("a file under the cap is read whole", () => {
    const path = join(dir, "small");
    writeFileSync(path, "hello\n");
    expect(new TextDecoder().decode(readFileBounded(path, 100))).toBe("hello\n");
  });

  test("a file of exactly the cap is read whole; one byte more is refused by its size", () => {
    const at = join(dir, "at");
    writeFileSync(at, "x".repeat(MiB));
    expect(readFileBounded(at, MiB).length).toBe(MiB);
    const over = join(dir, "over");
    writeFileSync(over, "x".repeat(MiB + 1));
    const error = failure(() => readFileBounded(over, MiB));
    expect({ code: error.code, message: error.message, size: error.size, max: error.maxBytes }).toEqual({
      code: "too_large",
      message: "file too large (max 1 MiB)",
      size: MiB + 1,
      max: MiB,
    });
  });

  test("an empty file reads as no bytes", () => {
    const path = join(dir, "empty");
    writeFileSync(path, "");
    expect(readFileBounded(path, 10).length).toBe(0);
  });

  test("a cap that is not whole MiB is named in bytes", () => {
    const path = join(dir, "ten");
    writeFileSync(path, "0123456789");
    expect(failure(() => readFileBounded(path, 9)).message).toBe("file too large (max 9 bytes)");
  });

  test("a regular file whose fstat size is 0 is still cut off while reading", () => {
    // procfs files are regular with st_size 0 but have content: the size check alone would pass.
    const error = failure(() => readFileBounded("/proc/self/maps", 16));
    expect(error.code).toBe("too_large");
    expect(error.size).toBeUndefined();
  });

  test("a file that says size 0 and holds more than the first buffer (/proc/kallsyms) is read whole, or cut at the cap", () => {
    const whole = readFileSync("/proc/kallsyms");
    expect(readFileBounded("/proc/kallsyms", 16 * MiB).length).toBe(whole.length);
    // Past the cap while growing: too large, with no size (fstat said 0).
    const error = failure(() => readFileBounded("/proc/kallsyms", 200_000));
    expect([error.code, error.message]).toEqual(["too_large", "file too large (max 200000 bytes)"]);
  });

  test("a file larger than the first buffer but under the cap grows the buffer", () => {
    const text = "y".repeat(200_000);
    expect(new TextDecoder().decode(readFileBounded("/proc/self/cmdline", MiB)).length).toBeGreaterThan(0);
    const path = join(dir, "medium");
    writeFileSync(path, text);
    expect(readFileBounded(path, MiB).length).toBe(200_000);
  });
});

describe("endless devices and FIFOs", () => {
  test.each(["/dev/zero", "/dev/urandom"])("%s is refused at the cap in well under a second", (device) => {
    let error: BoundedReadError | undefined;
    const elapsed = timed(() => {
      error = failure(() => readFileBounded(device, MiB));
    });
    expect(error?.code).toBe("too_large");
    expect(error?.message).toBe("file too large (max 1 MiB)");
    expect(elapsed).toBeLessThan(1000);
  });

  test("a symlink to /dev/zero is followed and cut off", () => {
    const link = join(dir, "zero-link");
    symlinkSync("/dev/zero", link);
    expect(failure(() => readFileBounded(link, 4096)).code).toBe("too_large");
  });

  test("a FIFO fed endlessly is cut off at the cap", () => {
    const path = fifo("endless");
    const writer = Bun.spawn(["sh", "-c", `exec yes kpm > '${path}'`], { stderr: "ignore" });
    writers.push(writer);
    let error: BoundedReadError | undefined;
    const elapsed = timed(() => {
      error = failure(() => readFileBounded(path, MiB));
    });
    expect(error?.code).toBe("too_large");
    expect(elapsed).toBeLessThan(1000);
  });

  test("a FIFO that ends under the cap is read whole (process substitution)", () => {
    const path = fifo("finite");
    writers.push(Bun.spawn(["sh", "-c", `printf 'A=1\\n' > '${path}'`]));
    expect(new TextDecoder().decode(readFileBounded(path, MiB))).toBe("A=1\n");
  });

  test("an empty device reads as no bytes", () => {
    expect(readFileBounded("/dev/null", MiB).length).toBe(0);
  });
});

describe("what the cap defends against", () => {
  test("the unbounded reads kpm used before never finish on /dev/zero; the bounded one does at once", async () => {
    const entry = JSON.stringify(`${import.meta.dir}/../src/index.ts`);
    const scripts = {
      bounded: `import { readFileBounded } from ${entry};
try { readFileBounded("/dev/zero", 1048576); } catch (error) { console.log(error.code); }`,
      readFileSync: `require("node:fs").readFileSync("/dev/zero"); console.log("done");`,
      "Bun.file().text()": `await Bun.file("/dev/zero").text(); console.log("done");`,
    };
    const outcomes: Record<string, string> = {};
    for (const [name, script] of Object.entries(scripts)) {
      const child = Bun.spawn([process.execPath, "-e", script], { stdout: "pipe", timeout: 2000 });
      const [out] = await Promise.all([new Response(child.stdout).text(), child.exited]);
      outcomes[name] = child.signalCode ? `killed by ${child.signalCode} after 2 s` : out.trim();
    }
    expect(outcomes).toEqual({
      bounded: "too_large",
      readFileSync: "killed by SIGTERM after 2 s",
      "Bun.file().text()": "killed by SIGTERM after 2 s",
    });
  });
});

describe("regularOnly", () => {
  test("a device, a symlink to one and a FIFO without a writer are refused without blocking", () => {
    const link = join(dir, "urandom-link");
    symlinkSync("/dev/urandom", link);
    const lonely = fifo("lonely");
    for (const path of ["/dev/zero", link, lonely]) {
      const error = failure(() => readFileBounded(path, MiB, { regularOnly: true }));
      expect({ path, code: error.code, message: error.message }).toEqual({
        path,
        code: "not_regular",
        message: "not a regular file",
      });
    }
  });

  test("without it, the open of a FIFO with no writer never returns (what regularOnly defends against)", async () => {
    const path = fifo("blocking");
    const entry = JSON.stringify(`${import.meta.dir}/../src/index.ts`);
    const outcome = async (options: string) => {
      const script = `import { readFileBounded } from ${entry};
try { readFileBounded(${JSON.stringify(path)}, 1024, ${options}); console.log("read"); }
catch (error) { console.log(error.code); }`;
      const child = Bun.spawn([process.execPath, "-e", script], { stdout: "pipe", timeout: 1500 });
      const [out] = await Promise.all([new Response(child.stdout).text(), child.exited]);
      return child.signalCode ?? out.trim();
    };
    expect(await outcome("{ regularOnly: true }")).toBe("not_regular");
    expect(await outcome("{}")).toBe("SIGTERM");
  });

  test("a regular file is read as usual", () => {
    const path = join(dir, "regular");
    writeFileSync(path, "a: [A]\n");
    expect(readFileBounded(path, MiB, { regularOnly: true }).length).toBe(7);
  });

  test("readFileWithMode gives the bytes and the mode of the file it read", () => {
    const path = join(dir, "with-mode");
    writeFileSync(path, "abc", { mode: 0o640 });
    const { bytes, mode } = readFileWithMode(path, MiB, { regularOnly: true });
    expect(new TextDecoder().decode(bytes)).toBe("abc");
    expect(mode & 0o777).toBe(0o640);
    expect(mode & 0o170000).toBe(0o100000);
  });
});

describe("failures", () => {
  test("a directory, a missing file and a path through a file have stable codes and Go's words", () => {
    const sub = join(dir, "sub");
    mkdirSync(sub);
    const file = join(dir, "plain");
    writeFileSync(file, "x");
    const cases = [
      [sub, "EISDIR", "is a directory"],
      [join(dir, "missing"), "ENOENT", "no such file or directory"],
      [join(file, "below"), "ENOTDIR", "not a directory"],
    ];
    for (const [path, code, message] of cases) {
      const error = failure(() => readFileBounded(path as string, MiB));
      expect([path, error.code, error.message]).toEqual([path, code, message]);
    }
  });

  test("a read fault after a successful open carries the errno", () => {
    // Reading offset 0 of /proc/self/mem fails with EIO: a real fault, no mock needed.
    const error = failure(() => readFileBounded("/proc/self/mem", MiB));
    expect([error.code, error.message]).toEqual(["EIO", "input/output error"]);
  });

  test("an unknown errno is lower-cased; a thrown non-error keeps its first line", () => {
    const odd = BoundedReadError.fromSystem(Object.assign(new Error("x"), { code: "EWEIRD" }), 1);
    expect([odd.code, odd.message]).toEqual(["EWEIRD", "eweird"]);
    const plain = BoundedReadError.fromSystem(new Error("first\nsecond"), 1);
    expect([plain.code, plain.message]).toEqual(["unknown", "first"]);
    expect(BoundedReadError.fromSystem("text", 1).message).toBe("text");
  });
});
