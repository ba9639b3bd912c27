// One blocking request over a Unix socket through libc (the warm-agent `kpm get`), against a peer
// in another process: a wrong sockaddr_un or timeval layout, or a wrong option number, fails here
// (a timeval read wrong is a zero timeout, which blocks forever and trips the test's timeout).
import { afterAll, describe, expect, test } from "bun:test";
import { chmodSync, mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { encodeSockaddrUn, encodeTimeval, SOCKADDR_UN, TIMEVAL, unixRequest } from "@kpm/libc/unix-client";

const root = mkdtempSync(join(tmpdir(), "kpm-unix-client-"));
const peers: Bun.Subprocess<"pipe", "pipe", "inherit">[] = [];
afterAll(async () => {
  for (const peer of peers) {
    peer.stdin.end();
    peer.kill();
    await peer.exited;
  }
  rmSync(root, { recursive: true, force: true });
});

const decode = (bytes: Uint8Array | null) => (bytes === null ? null : new TextDecoder().decode(bytes));
const request = (text: string) => new TextEncoder().encode(text);

/** A peer process listening at `path` with `behaviour` (helpers/line-server.ts), once it is ready. */
async function peer(path: string, behaviour: string): Promise<void> {
  const child = Bun.spawn(
    [process.execPath, join(import.meta.dir, "helpers/line-server.ts"), path, behaviour],
    {
      stdin: "pipe",
      stdout: "pipe",
      stderr: "inherit",
    },
  );
  peers.push(child);
  const reader = child.stdout.getReader();
  const { value } = await reader.read();
  reader.releaseLock();
  expect(new TextDecoder().decode(value)).toBe("ready\n");
}

describe("struct layouts", () => {
  test("sockaddr_un: AF_UNIX as a little-endian u16, then the path and its NUL", () => {
    const address = encodeSockaddrUn("/run/a") as Uint8Array;
    expect(address.byteLength).toBe(SOCKADDR_UN.size);
    expect([...address.subarray(0, 9)]).toEqual([1, 0, 47, 114, 117, 110, 47, 97, 0]);
    expect(encodeSockaddrUn(`/${"a".repeat(106)}`)).not.toBeNull();
    expect(encodeSockaddrUn(`/${"a".repeat(107)}`)).toBeNull();
    expect(encodeSockaddrUn("/a\0b")).toBeNull();
    expect(encodeSockaddrUn("")).toBeNull();
  });

  test("timeval: seconds and microseconds, 64-bit little-endian each", () => {
    const value = encodeTimeval(2_250);
    expect(value.byteLength).toBe(TIMEVAL.size);
    const view = new DataView(value.buffer);
    expect(view.getBigInt64(TIMEVAL.seconds, true)).toBe(2n);
    expect(view.getBigInt64(TIMEVAL.microseconds, true)).toBe(250_000n);
    const long = new DataView(encodeTimeval(86_400_000 * 365).buffer);
    expect(long.getBigInt64(TIMEVAL.seconds, true)).toBe(31_536_000n);
    expect(long.getBigInt64(TIMEVAL.microseconds, true)).toBe(0n);
  });
});

describe.if(process.platform === "linux")("unixRequest", () => {
  test("returns the answer up to and including its first newline", async () => {
    const path = join(root, "answer.sock");
    await peer(path, "answer");
    expect(decode(unixRequest(path, request("hello\n"), { timeoutMs: 5_000 }))).toBe("got hello\n");
  });

  test("assembles an answer that arrives in pieces", async () => {
    const path = join(root, "chunks.sock");
    await peer(path, "chunks");
    const line = `{"id":1,"value":"${"v".repeat(40)}"}`;
    expect(decode(unixRequest(path, request(`${line}\n`), { timeoutMs: 5_000 }))).toBe(`got ${line}\n`);
  });

  test("grows its buffer for an answer far larger than the first read", async () => {
    const path = join(root, "bigline.sock");
    await peer(path, "bigline");
    const answer = unixRequest(path, request("x\n"), { timeoutMs: 5_000 });
    expect(answer?.byteLength).toBe(300 * 1024 + 1);
    expect(answer?.at(-1)).toBe(10);
  });

  test("connects through the longest path sockaddr_un holds (107 bytes)", async () => {
    const dir = join(root, "d".repeat(107 - root.length - 1 - "/x.sock".length));
    mkdirSync(dir);
    const path = join(dir, "x.sock");
    expect(Buffer.byteLength(path)).toBe(107);
    await peer(path, "answer");
    expect(decode(unixRequest(path, request("long\n"), { timeoutMs: 5_000 }))).toBe("got long\n");
  });

  test("gives up on a silent peer after the timeout, not before", async () => {
    const path = join(root, "silent.sock");
    await peer(path, "silent");
    const started = performance.now();
    expect(unixRequest(path, request("anyone?\n"), { timeoutMs: 400 })).toBeNull();
    const waited = performance.now() - started;
    expect(waited).toBeGreaterThanOrEqual(350);
    expect(waited).toBeLessThan(5_000);
  });

  test("null for no listener, an answer cut short, and one past maxBytes", async () => {
    expect(unixRequest(join(root, "nothing.sock"), request("x\n"), { timeoutMs: 1_000 })).toBeNull();
    const closing = join(root, "close.sock");
    await peer(closing, "close");
    expect(unixRequest(closing, request("x\n"), { timeoutMs: 5_000 })).toBeNull();
    const big = join(root, "big.sock");
    await peer(big, "big");
    expect(unixRequest(big, request("x\n"), { timeoutMs: 5_000, maxBytes: 64 * 1024 })).toBeNull();
  });
});

// expectedUid reads struct ucred (SO_PEERCRED) on the connected socket. The peer runs as uid 65534
// with gid 65533, so a uid read from the pid or gid offset fails the second expectation. Root
// only: it starts that peer through setpriv (an inline script: nobody cannot read this checkout).
describe.if(process.platform === "linux" && process.getuid?.() === 0)("unixRequest with expectedUid", () => {
  test("writes only to a peer running as that uid; without it, any listener is asked", async () => {
    const shared = mkdtempSync(join(tmpdir(), "kpm-unix-client-shared-"));
    chmodSync(shared, 0o777);
    const path = join(shared, "peer.sock");
    const script = `Bun.listen({ unix: ${JSON.stringify(path)}, socket: { data(s, d) { s.write("got " + d); } } });
      console.log("ready"); for await (const _ of Bun.stdin.stream()) {} process.exit(0);`;
    const child = Bun.spawn(
      ["setpriv", "--reuid=65534", "--regid=65533", "--clear-groups", process.execPath, "-e", script],
      { stdin: "pipe", stdout: "pipe", stderr: "inherit" },
    );
    try {
      const reader = child.stdout.getReader();
      expect(new TextDecoder().decode((await reader.read()).value)).toBe("ready\n");
      reader.releaseLock();
      expect(unixRequest(path, request("secret?\n"), { timeoutMs: 5_000, expectedUid: 0 })).toBeNull();
      expect(decode(unixRequest(path, request("a\n"), { timeoutMs: 5_000, expectedUid: 65_534 }))).toBe(
        "got a\n",
      );
      // The check switched off: the foreign peer is asked and answers (the attack the check stops).
      expect(decode(unixRequest(path, request("secret?\n"), { timeoutMs: 5_000 }))).toBe("got secret?\n");
    } finally {
      child.stdin.end();
      await child.exited;
      rmSync(shared, { recursive: true, force: true });
    }
  });
});
