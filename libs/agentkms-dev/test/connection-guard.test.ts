// The connection guard's bookkeeping with small in-memory sockets: caps, the request-line scan
// across chunk boundaries, and the rate-limited failure log. The real-socket attacks are in abuse.test.ts.
import { afterEach, describe, expect, test } from "bun:test";
import { EventEmitter } from "node:events";
import { ConnectionGuard, type ConnectionLimits, clientAddress } from "../src/connection-guard.ts";
import { FailureLog } from "../src/failure-log.ts";
import type { LogFn } from "../src/server-log.ts";

class FakeSocket extends EventEmitter {
  ended: string | null = null;
  destroyed = false;
  constructor(readonly remoteAddress: string) {
    super();
  }
  end(data: string): void {
    this.ended = data;
  }
  destroy(): void {
    if (this.destroyed) return;
    this.destroyed = true;
    this.emit("close");
  }
  send(text: string): void {
    this.emit("data", Buffer.from(text, "latin1"));
  }
}

const lines: string[] = [];
const log: LogFn = (level, msg, attrs = {}) => lines.push(`${level} ${msg} ${JSON.stringify(attrs)}`);
const guards: ConnectionGuard[] = [];

function guard(limits: Partial<ConnectionLimits> = {}): ConnectionGuard {
  const created = new ConnectionGuard({ failureLogIntervalMs: 0, ...limits }, log);
  guards.push(created);
  return created;
}

afterEach(() => {
  for (const created of guards.splice(0)) created.close();
  lines.length = 0;
});

describe("connection caps", () => {
  test("the per-address cap refuses the extra socket and frees a slot when one closes", () => {
    const g = guard({ maxConnectionsPerAddress: 2 });
    const [a, b, c] = [1, 2, 3].map(() => new FakeSocket("10.0.0.1"));
    expect([a, b].map((s) => g.admit(s as FakeSocket))).toEqual([true, true]);
    expect(g.admit(c as FakeSocket)).toBe(false);
    expect(c?.destroyed).toBe(true);
    expect(g.admit(new FakeSocket("10.0.0.2"))).toBe(true);
    a?.destroy();
    expect(g.admit(new FakeSocket("::ffff:10.0.0.1"))).toBe(true);
    expect(lines).toEqual([
      'WARN connection refused {"remote":"10.0.0.1","error":"per-address connection limit","count":1}',
    ]);
  });

  test("the total cap counts every address; 0 switches a cap off", () => {
    const g = guard({ maxConnections: 2, maxConnectionsPerAddress: 0 });
    expect(g.admit(new FakeSocket("10.0.0.1"))).toBe(true);
    expect(g.admit(new FakeSocket("10.0.0.2"))).toBe(true);
    expect(g.admit(new FakeSocket("10.0.0.3"))).toBe(false);
    expect(g.size).toBe(2);
    const open = guard({ maxConnections: 0, maxConnectionsPerAddress: 0 });
    for (let i = 0; i < 300; i++) expect(open.admit(new FakeSocket("10.0.0.1"))).toBe(true);
  });

  test("errors after the guard closed a socket itself are not logged as the peer's handshake failures", () => {
    const g = guard({ maxConnections: 1 });
    g.admit(new FakeSocket("10.0.0.1"));
    const refused = new FakeSocket("10.0.0.9");
    g.admit(refused);
    g.handshakeFailed(refused, new Error("socket hang up"));
    g.handshakeFailed(new FakeSocket("10.0.0.8"), new Error("WRONG_VERSION_NUMBER"));
    expect(lines.filter((line) => line.includes("handshake"))).toEqual([
      'WARN TLS handshake failed {"remote":"10.0.0.8","error":"WRONG_VERSION_NUMBER","count":1}',
    ]);
  });

  test("client addresses fold IPv4-mapped IPv6 into IPv4", () => {
    expect(clientAddress("::ffff:127.0.0.1")).toBe("127.0.0.1");
    expect(clientAddress("::1")).toBe("::1");
    expect(clientAddress(undefined)).toBe("unknown");
  });
});

describe("request line limit", () => {
  function secured(g: ConnectionGuard): FakeSocket {
    const socket = new FakeSocket("10.0.0.1");
    g.admit(socket);
    g.secured(socket);
    return socket;
  }

  test("a line split across chunks is measured whole and answered 414 once it passes the limit", () => {
    const g = guard({ maxRequestLineBytes: 100 });
    const socket = secured(g);
    socket.send(`GET /${"a".repeat(60)}`);
    expect(socket.ended).toBeNull();
    socket.send("a".repeat(60));
    expect(socket.ended).toStartWith("HTTP/1.1 414 URI Too Long\r\n");
    expect(g.rejected(socket)).toBe(true);
    expect(g.requestStarted(socket, { complete: true })).toBe(false);
  });

  test("exactly the limit passes; leading empty lines and long header lines do not count", () => {
    const g = guard({ maxRequestLineBytes: 30 });
    const socket = secured(g);
    const line = `GET /${"b".repeat(16)} HTTP/1.1`;
    expect(line.length).toBe(30);
    socket.send(`\r\n\r\n${line}\r\nX-Long: ${"h".repeat(200)}\r\n\r\n`);
    expect(socket.ended).toBeNull();
    expect(g.requestStarted(socket, { complete: true })).toBe(true);
  });

  test("a CRLF split across chunks ends the line without counting the CR", () => {
    const g = guard({ maxRequestLineBytes: 30 });
    const socket = secured(g);
    socket.send(`GET /${"e".repeat(16)} HTTP/1.1\r`);
    socket.send("\nHost: x\r\n\r\n");
    expect(socket.ended).toBeNull();
    const over = secured(g);
    over.send(`GET /${"e".repeat(17)} HTTP/1.1\r`);
    expect(over.ended).not.toBeNull();
  });

  test("each request on a keep-alive connection is measured afresh", () => {
    const g = guard({ maxRequestLineBytes: 40 });
    const socket = secured(g);
    socket.send(`GET /${"c".repeat(20)} HTTP/1.1\r\n`);
    g.requestStarted(socket, { complete: true });
    g.responseFinished(socket);
    socket.send(`GET /${"c".repeat(20)}`);
    expect(socket.ended).toBeNull();
    socket.send(`${"c".repeat(20)} HTTP/1.1\r\n`);
    expect(socket.ended).not.toBeNull();
  });

  test("0 switches the limit off", () => {
    const g = guard({ maxRequestLineBytes: 0 });
    const socket = secured(g);
    socket.send(`GET /${"d".repeat(200_000)}`);
    expect(socket.ended).toBeNull();
  });
});

describe("timers", () => {
  test("a request whose body is complete when the read timeout fires is left alone", async () => {
    const g = guard({ headerTimeoutMs: 0, requestTimeoutMs: 30 });
    const socket = new FakeSocket("10.0.0.1");
    g.admit(socket);
    g.secured(socket);
    socket.send("POST / HTTP/1.1\r\nContent-Length: 1\r\n\r\n");
    const request = { complete: false };
    g.requestStarted(socket, request);
    request.complete = true; // the handler has not read it yet, but every byte arrived
    await Bun.sleep(60);
    expect(socket.destroyed).toBe(false);
  });

  test("the read timeout bounds the headers when the header timeout is off", async () => {
    const g = guard({ headerTimeoutMs: 0, requestTimeoutMs: 30 });
    const socket = new FakeSocket("10.0.0.1");
    g.admit(socket);
    g.secured(socket);
    socket.send("GET / HTTP/1.1\r\n");
    await Bun.sleep(60);
    expect(socket.destroyed).toBe(true);
    expect(g.size).toBe(0);
  });
});

describe("failure log", () => {
  test("one line per window per address and message, each with the count it stands for", async () => {
    const out: string[] = [];
    const failures = new FailureLog((_level, msg, attrs) => out.push(`${msg} ${JSON.stringify(attrs)}`), 40);
    for (let i = 0; i < 5; i++) failures.record("WARN", "TLS handshake failed", "10.0.0.1", `e${i}`);
    failures.record("WARN", "TLS handshake failed", "10.0.0.2", "x");
    expect(out).toHaveLength(2);
    await Bun.sleep(60);
    expect(out).toEqual([
      'TLS handshake failed {"remote":"10.0.0.1","error":"e0","count":1}',
      'TLS handshake failed {"remote":"10.0.0.2","error":"x","count":1}',
      'TLS handshake failed {"remote":"10.0.0.1","error":"e4","count":4}',
    ]);
    // A quiet window ends the bucket: the next failure is logged at once again.
    await Bun.sleep(60);
    failures.record("WARN", "TLS handshake failed", "10.0.0.1", "late");
    expect(out.at(-1)).toBe('TLS handshake failed {"remote":"10.0.0.1","error":"late","count":1}');
    failures.record("WARN", "TLS handshake failed", "10.0.0.1", "pending");
    failures.close();
    expect(out.at(-1)).toBe('TLS handshake failed {"remote":"10.0.0.1","error":"pending","count":1}');
  });

  test("past 1024 tracked addresses new ones share one bucket, so memory stays bounded", () => {
    const out: string[] = [];
    const failures = new FailureLog((_level, _msg, attrs) => out.push(String(attrs?.["remote"])), 10_000);
    for (let i = 0; i < 1100; i++) failures.record("WARN", "m", `10.0.${i >> 8}.${i & 255}`, "e");
    expect(out).toHaveLength(1025);
    expect(out.at(-1)).toBe("*");
    failures.close();
    expect(out.at(-1)).toBe("*");
    expect(out).toHaveLength(1026);
  });

  test("a window of 0 writes every failure", () => {
    const out: string[] = [];
    const failures = new FailureLog(() => out.push("line"), 0);
    for (let i = 0; i < 7; i++) failures.record("WARN", "m", "10.0.0.1", "e");
    expect(out).toHaveLength(7);
  });
});
