// readStreamBounded: the cap holds per chunk, an endless stream is cancelled, chunks are zeroed.

import { describe, expect, test } from "bun:test";
import { BoundedReadError, readStreamBounded } from "@kpm/bounded-read";

function streamOf(chunks: Uint8Array[]): ReadableStream<Uint8Array> {
  return new ReadableStream({
    start(controller) {
      for (const chunk of chunks) controller.enqueue(chunk);
      controller.close();
    },
  });
}

async function failure(run: () => Promise<unknown>): Promise<BoundedReadError> {
  try {
    await run();
  } catch (error) {
    if (error instanceof BoundedReadError) return error;
    throw error;
  }
  throw new Error("expected a BoundedReadError");
}

describe("readStreamBounded", () => {
  test("chunks under and at the cap are joined in order and zeroed afterwards", async () => {
    const first = new Uint8Array([1, 2]);
    const second = new Uint8Array([3]);
    expect([...(await readStreamBounded(streamOf([first, second]), 3))]).toEqual([1, 2, 3]);
    expect([...first, ...second]).toEqual([0, 0, 0]);
    expect((await readStreamBounded(streamOf([]), 3)).length).toBe(0);
  });

  test("one byte over the cap is refused and what was read is zeroed", async () => {
    const chunk = new Uint8Array([7, 7, 7, 7]);
    const error = await failure(() => readStreamBounded(streamOf([chunk]), 3));
    expect([error.code, error.message, error.size]).toEqual([
      "too_large",
      "input too large (max 3 bytes)",
      undefined,
    ]);
    expect([...chunk]).toEqual([0, 0, 0, 0]);
  });

  test("an endless stream is cancelled at the cap", async () => {
    let cancelled = false;
    const endless = new ReadableStream<Uint8Array>({
      pull(controller) {
        controller.enqueue(new Uint8Array(65536));
      },
      cancel() {
        cancelled = true;
      },
    });
    expect((await failure(() => readStreamBounded(endless, 1024 * 1024))).code).toBe("too_large");
    expect(cancelled).toBe(true);
  });

  test("a stream that fails is reported with its reason", async () => {
    const broken = new ReadableStream<Uint8Array>({
      pull(controller) {
        controller.error(Object.assign(new Error("boom"), { code: "EIO" }));
      },
    });
    const error = await failure(() => readStreamBounded(broken, 10));
    expect([error.code, error.message]).toEqual(["EIO", "input/output error"]);
  });

  test("stdin that is /dev/zero or /dev/urandom is refused in a real process in under a second", async () => {
    const script = `import { readStreamBounded } from ${JSON.stringify(`${import.meta.dir}/../src/index.ts`)};
try { await readStreamBounded(Bun.stdin.stream(), 1000000); console.log("read all"); }
catch (error) { console.log(error.code); }`;
    for (const device of ["/dev/zero", "/dev/urandom"]) {
      const started = performance.now();
      const child = Bun.spawn([process.execPath, "-e", script], { stdin: Bun.file(device), stdout: "pipe" });
      const [out, code] = await Promise.all([new Response(child.stdout).text(), child.exited]);
      const elapsed = performance.now() - started;
      expect([device, out.trim(), code]).toEqual([device, "too_large", 0]);
      expect(elapsed).toBeLessThan(3000);
    }
  });
});
