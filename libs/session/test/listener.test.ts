// The listener body, run in-process against real sockets: start-up validation, the §7.5
// request checks in order, strict issued-set enforcement, timers and cleanup.
import { afterEach, describe, expect, spyOn, test } from "bun:test";
import { chmodSync, existsSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { pingListener, readSessionRecord, requestDecrypt } from "@kpm/session";
import { encryptValue, formatStrictBlob } from "@kpm/strict-codec";
import {
  defaultStart,
  makePrivateDir,
  rawExchange,
  recordingResolver,
  removeCreatedDirs,
  startInProcess,
  strictStart,
  testKey,
} from "./helpers/fixtures.ts";

afterEach(removeCreatedDirs);

const SID = "s0a1b2c3d";
const STRICT_SID = "strict-0a1b2c3d";

async function startDefault(options: { ttl?: number; requestTimeoutMs?: number; debug?: boolean } = {}) {
  const runtimeDir = makePrivateDir();
  const key = testKey();
  const listener = startInProcess(defaultStart(SID, runtimeDir, key, options.ttl), {
    sessionId: SID,
    runtimeDir,
    requestTimeoutMs: options.requestTimeoutMs,
    debug: options.debug,
  });
  const ready = JSON.parse(await listener.ready);
  const socket = join(runtimeDir, `${SID}.sock`);
  return { runtimeDir, key, listener, ready, socket };
}

describe("start-up", () => {
  test("reports ready with its pid, creates a 0600 socket and a 0600 record", async () => {
    const { runtimeDir, listener, ready, socket } = await startDefault();
    expect(ready).toEqual({ ready: true, pid: process.pid });
    expect(statSync(socket).isSocket()).toBe(true);
    expect(statSync(socket).mode & 0o777).toBe(0o600);
    const recordPath = join(runtimeDir, `${SID}.json`);
    expect(statSync(recordPath).mode & 0o777).toBe(0o600);
    const record = readSessionRecord(runtimeDir, SID);
    expect(record).toMatchObject({
      session: SID,
      pid: process.pid,
      socket,
      strict: false,
      idle_timeout: null,
    });
    expect(record?.created_at).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    const lifetime = Date.parse(record?.expires_at ?? "") - Date.parse(record?.created_at ?? "");
    expect(lifetime).toBe(3600_000);
    listener.stop();
    expect(await listener.exit).toBe(0);
  });

  test("exits 1 silently on a start document that is not JSON", async () => {
    const runtimeDir = makePrivateDir();
    const listener = startInProcess(new TextEncoder().encode("{not json"), { sessionId: SID, runtimeDir });
    expect(await listener.exit).toBe(1);
    expect(existsSync(join(runtimeDir, `${SID}.sock`))).toBe(false);
  });

  test("exits 1 silently on a start document over 1 MiB", async () => {
    const runtimeDir = makePrivateDir();
    const big = { ...defaultStart(SID, runtimeDir, testKey()), padding: "x".repeat(1024 * 1024) };
    const listener = startInProcess(big, { sessionId: SID, runtimeDir });
    expect(await listener.exit).toBe(1);
  });

  test("exits 1 silently when the document's session differs from --session", async () => {
    const runtimeDir = makePrivateDir();
    const listener = startInProcess(defaultStart("s99999999", runtimeDir, testKey()), {
      sessionId: SID,
      runtimeDir,
    });
    expect(await listener.exit).toBe(1);
  });

  test("exits 1 silently when asked to bind outside its runtime directory", async () => {
    const runtimeDir = makePrivateDir();
    const start = { ...defaultStart(SID, runtimeDir, testKey()), socket: `/tmp/${SID}.sock` };
    const listener = startInProcess(start, { sessionId: SID, runtimeDir });
    expect(await listener.exit).toBe(1);
    expect(existsSync(`/tmp/${SID}.sock`)).toBe(false);
  });

  test("exits 1 silently on a session key that is not 32 bytes of base64", async () => {
    const runtimeDir = makePrivateDir();
    const start = { ...defaultStart(SID, runtimeDir, testKey()), session_key: "c2hvcnQ=" };
    expect(await startInProcess(start, { sessionId: SID, runtimeDir }).exit).toBe(1);
  });

  test("refuses a runtime directory with group access and reports it as not ready", async () => {
    const runtimeDir = makePrivateDir();
    chmodSync(runtimeDir, 0o750);
    const listener = startInProcess(defaultStart(SID, runtimeDir, testKey()), { sessionId: SID, runtimeDir });
    expect(await listener.exit).toBe(1);
    expect(JSON.parse(await listener.ready)).toEqual({
      ready: false,
      error: `refusing to use runtime directory ${runtimeDir}: its mode 0750 allows access by group or others (fix: chmod 700 ${runtimeDir})`,
    });
  });

  test("never binds over an existing path", async () => {
    const runtimeDir = makePrivateDir();
    const socket = join(runtimeDir, `${SID}.sock`);
    writeFileSync(socket, "someone else's file");
    const listener = startInProcess(defaultStart(SID, runtimeDir, testKey()), { sessionId: SID, runtimeDir });
    expect(await listener.exit).toBe(1);
    expect(JSON.parse(await listener.ready)).toEqual({
      ready: false,
      error: `socket path already exists: ${socket}`,
    });
    expect(readFileSync(socket, "utf8")).toBe("someone else's file");
  });

  test("a strict listener whose AgentKMS client cannot be built reports the spec error", async () => {
    const runtimeDir = makePrivateDir();
    const listener = startInProcess(strictStart(STRICT_SID, runtimeDir, []), {
      sessionId: STRICT_SID,
      runtimeDir,
      createStrictResolver: () => {
        throw new Error("TLS config: read CA /x/ca.crt: ENOENT");
      },
    });
    expect(await listener.exit).toBe(1);
    expect(JSON.parse(await listener.ready)).toEqual({
      ready: false,
      error: "strict listener: error creating AgentKMS client: TLS config: read CA /x/ca.crt: ENOENT",
    });
  });

  test("stops on SIGHUP, removing its socket and record", async () => {
    const { runtimeDir, listener, socket } = await startDefault();
    process.kill(process.pid, "SIGHUP");
    expect(await listener.exit).toBe(0);
    expect(existsSync(socket)).toBe(false);
    expect(existsSync(join(runtimeDir, `${SID}.json`))).toBe(false);
  });
});

describe("default-mode requests", () => {
  test("decrypts its own blobs, including an empty value", async () => {
    const { key, listener, socket } = await startDefault();
    expect(await requestDecrypt(socket, encryptValue(key, SID, "hunter2 ✓"))).toEqual({
      ok: true,
      plaintext: "hunter2 ✓",
    });
    expect(await rawExchange(socket, `${JSON.stringify({ ciphertext: encryptValue(key, SID, "") })}\n`)).toBe(
      '{"plaintext":""}\n',
    );
    listener.stop();
    await listener.exit;
  });

  test("answers a request that ends at EOF instead of a newline", async () => {
    const { key, listener, socket } = await startDefault();
    const request = JSON.stringify({ ciphertext: encryptValue(key, SID, "eof-ended") });
    expect(await rawExchange(socket, request, true)).toBe('{"plaintext":"eof-ended"}\n');
    listener.stop();
    await listener.exit;
  });

  test("assembles a request split over many writes", async () => {
    const { key, listener, socket } = await startDefault();
    const blob = encryptValue(key, SID, "y".repeat(30_000));
    const response = await rawExchange(
      socket,
      `${JSON.stringify({ ciphertext: blob, pad: "z".repeat(20_000) })}\n`,
    );
    expect(JSON.parse(response)).toEqual({ plaintext: "y".repeat(30_000) });
    listener.stop();
    await listener.exit;
  });

  test("refuses blobs of another session and of a strict session", async () => {
    const { listener, socket } = await startDefault();
    const other = encryptValue(testKey(99), "s11111111", "x");
    expect(await requestDecrypt(socket, other)).toEqual({ ok: false, error: "session ID mismatch" });
    const strictBlob = formatStrictBlob(SID, { Type: "kv", Path: "a/b", Key: "k", Default: "" });
    expect(await requestDecrypt(socket, strictBlob)).toEqual({ ok: false, error: "session ID mismatch" });
    listener.stop();
    await listener.exit;
  });

  test("reports a blob with the right session but another key as decrypt failed", async () => {
    const { listener, socket } = await startDefault();
    const forged = encryptValue(testKey(99), SID, "x");
    expect(await requestDecrypt(socket, forged)).toEqual({ ok: false, error: "decrypt failed" });
    const short = `ENC[kpm:${SID}:${Buffer.alloc(20).toString("base64")}]`;
    expect(await requestDecrypt(socket, short)).toEqual({ ok: false, error: "decrypt failed" });
    listener.stop();
    await listener.exit;
  });

  test("answers unparsable blobs and strict blobs with their format errors", async () => {
    const { listener, socket } = await startDefault();
    expect(await requestDecrypt(socket, "plaintext-pasted-by-mistake")).toEqual({
      ok: false,
      error: "invalid ciphertext format",
    });
    expect(await requestDecrypt(socket, "ENC[kpm-strict:nocolon]")).toEqual({
      ok: false,
      error: "invalid strict blob: ParseStrictBlob: missing sessionID separator",
    });
    listener.stop();
    await listener.exit;
  });

  test("answers garbage, wrong shapes and oversized requests with invalid request", async () => {
    const { key, listener, socket } = await startDefault();
    const invalid = '{"error":"invalid request"}\n';
    expect(await rawExchange(socket, "garbage\n")).toBe(invalid);
    expect(await rawExchange(socket, "[1,2]\n")).toBe(invalid);
    expect(await rawExchange(socket, "null\n")).toBe(invalid);
    expect(await rawExchange(socket, '{"ciphertext":42}\n')).toBe(invalid);
    expect(await rawExchange(socket, '{"op":"status"}\n')).toBe(invalid);
    expect(await rawExchange(socket, "", true)).toBe(invalid);
    expect(await rawExchange(socket, `${"x".repeat(1024 * 1024 + 10)}\n`)).toBe(invalid);
    const justOver = `{"ciphertext":"${"a".repeat(64 * 1024)}"}\n`;
    expect(await rawExchange(socket, justOver)).toBe(invalid);
    // The listener is unharmed and still serves others.
    expect(await requestDecrypt(socket, encryptValue(key, SID, "still here"))).toEqual({
      ok: true,
      plaintext: "still here",
    });
    listener.stop();
    await listener.exit;
  });

  test("closes a connection that sends nothing within the request timeout", async () => {
    const { key, listener, socket } = await startDefault({ requestTimeoutMs: 200 });
    const silent = rawExchange(socket, "");
    expect(await requestDecrypt(socket, encryptValue(key, SID, "meanwhile"))).toEqual({
      ok: true,
      plaintext: "meanwhile",
    });
    expect(await silent).toBe('{"error":"invalid request"}\n');
    listener.stop();
    await listener.exit;
  });

  test("answers ping with its session and expiry", async () => {
    const { runtimeDir, listener, socket } = await startDefault();
    const record = readSessionRecord(runtimeDir, SID);
    expect(await pingListener(socket)).toEqual({
      session: SID,
      expires_at: record?.expires_at ?? "",
      strict: false,
    });
    listener.stop();
    await listener.exit;
  });

  test("answers session expired once expires_at has passed", async () => {
    const { key, listener, socket } = await startDefault();
    const blob = encryptValue(key, SID, "x");
    // The expiry timer would end the process first; move the clock instead of waiting an hour.
    const clock = spyOn(Date, "now").mockImplementation(() => new Date(2100, 0).getTime());
    try {
      expect(await requestDecrypt(socket, blob)).toEqual({ ok: false, error: "session expired" });
    } finally {
      clock.mockRestore();
    }
    listener.stop();
    await listener.exit;
  });

  test("exits at expires_at, removing socket and record", async () => {
    const { runtimeDir, listener, socket } = await startDefault({ ttl: 1 });
    expect(await listener.exit).toBe(0);
    expect(existsSync(socket)).toBe(false);
    expect(existsSync(join(runtimeDir, `${SID}.json`))).toBe(false);
  });

  test("KPM_DEBUG writes a 0600 log with events but no values", async () => {
    const { runtimeDir, key, listener, socket } = await startDefault({ debug: true });
    await requestDecrypt(socket, encryptValue(key, SID, "debug-secret-marker"));
    await requestDecrypt(socket, "garbage");
    listener.stop();
    await listener.exit;
    const logPath = join(runtimeDir, `${SID}.log`);
    expect(statSync(logPath).mode & 0o777).toBe(0o600);
    const log = readFileSync(logPath, "utf8");
    expect(log).toContain("listener started: mode=default");
    expect(log).toContain("decrypt ok (encrypted)");
    expect(log).toContain("decrypt error: invalid ciphertext format");
    expect(log).toContain("listener stopped: stopped");
    expect(log).not.toContain("debug-secret-marker");
    expect(log).not.toContain(Buffer.from(key).toString("base64"));
  });
});

describe("strict-mode requests", () => {
  const issued = [
    { Type: "kv", Path: "db/prod", Key: "password", Default: null },
    { Type: "kv", Path: "db/prod", Key: "user", Default: "admin" },
    { Type: "llm", Path: "anthropic", Key: "", Default: "" },
  ];

  async function startStrict(resolver = recordingResolver(), idle = 3600) {
    const runtimeDir = makePrivateDir();
    const listener = startInProcess(strictStart(STRICT_SID, runtimeDir, issued, idle), {
      sessionId: STRICT_SID,
      runtimeDir,
      resolver,
    });
    const ready = JSON.parse(await listener.ready);
    return { runtimeDir, listener, ready, resolver, socket: join(runtimeDir, `${STRICT_SID}.sock`) };
  }

  const blobFor = (ref: { Type: string; Path: string; Key: string; Default: string }, sid = STRICT_SID) =>
    formatStrictBlob(sid, ref);

  test("resolves an issued reference with one resolver call carrying the issued default", async () => {
    const { runtimeDir, listener, resolver, socket } = await startStrict();
    expect(readSessionRecord(runtimeDir, STRICT_SID)).toMatchObject({
      strict: true,
      expires_at: null,
      idle_timeout: 3600,
    });
    const blob = blobFor({ Type: "kv", Path: "db/prod", Key: "password", Default: "" });
    expect(await requestDecrypt(socket, blob)).toEqual({ ok: true, plaintext: "value-of-db/prod" });
    expect(resolver.calls).toEqual([{ Type: "kv", Path: "db/prod", Key: "password", Default: null }]);
    await requestDecrypt(socket, blobFor({ Type: "kv", Path: "db/prod", Key: "user", Default: "admin" }));
    await requestDecrypt(socket, blobFor({ Type: "llm", Path: "anthropic", Key: "", Default: "" }));
    expect(resolver.calls.slice(1)).toEqual(issued.slice(1));
    listener.stop();
    await listener.exit;
  });

  test("refuses a forged blob naming a reference it did not issue, without a resolver call", async () => {
    const { listener, resolver, socket } = await startStrict();
    const forgedPath = blobFor({ Type: "kv", Path: "db/other", Key: "password", Default: "" });
    const forgedDefault = blobFor({ Type: "kv", Path: "db/prod", Key: "user", Default: "root" });
    for (const blob of [forgedPath, forgedDefault]) {
      expect(await requestDecrypt(socket, blob)).toEqual({
        ok: false,
        error: "reference not issued for this session",
      });
    }
    expect(resolver.calls).toEqual([]);
    listener.stop();
    await listener.exit;
  });

  test("refuses other sessions' strict blobs and all ENC blobs", async () => {
    const { listener, resolver, socket } = await startStrict();
    const other = blobFor({ Type: "kv", Path: "db/prod", Key: "password", Default: "" }, "strict-ffffffff");
    expect(await requestDecrypt(socket, other)).toEqual({ ok: false, error: "session ID mismatch" });
    const encrypted = encryptValue(testKey(), STRICT_SID, "x");
    expect(await requestDecrypt(socket, encrypted)).toEqual({ ok: false, error: "session ID mismatch" });
    expect(await requestDecrypt(socket, "ENC[kpm:]")).toEqual({
      ok: false,
      error: "invalid ciphertext format",
    });
    expect(resolver.calls).toEqual([]);
    listener.stop();
    await listener.exit;
  });

  test("maps denial, failure and a throwing resolver to the spec messages", async () => {
    const resolver = recordingResolver(async (ref) => {
      if (ref.Key === "password")
        return { ok: false, denied: true, message: "operation denied by policy (policy_denied)" };
      if (ref.Key === "user") return { ok: false, denied: false, message: "server unreachable" };
      throw new Error("socket hang up");
    });
    const { listener, socket } = await startStrict(resolver);
    expect(
      await requestDecrypt(socket, blobFor({ Type: "kv", Path: "db/prod", Key: "password", Default: "" })),
    ).toEqual({
      ok: false,
      error: "strict decrypt denied by policy: operation denied by policy (policy_denied)",
    });
    expect(
      await requestDecrypt(socket, blobFor({ Type: "kv", Path: "db/prod", Key: "user", Default: "admin" })),
    ).toEqual({
      ok: false,
      error: "strict decrypt failed: server unreachable",
    });
    expect(
      await requestDecrypt(socket, blobFor({ Type: "llm", Path: "anthropic", Key: "", Default: "" })),
    ).toEqual({
      ok: false,
      error: "strict decrypt failed: socket hang up",
    });
    listener.stop();
    await listener.exit;
  });

  test("delivers a value larger than the socket buffer in full", async () => {
    const big = "v".repeat(3 * 1024 * 1024);
    const { listener, socket } = await startStrict(recordingResolver(async () => ({ ok: true, value: big })));
    const blob = blobFor({ Type: "kv", Path: "db/prod", Key: "password", Default: "" });
    expect(await requestDecrypt(socket, blob)).toEqual({ ok: true, plaintext: big });
    listener.stop();
    await listener.exit;
  });

  test("never answers session expired and pings with a null expiry", async () => {
    const { listener, socket } = await startStrict();
    expect(await pingListener(socket)).toEqual({ session: STRICT_SID, expires_at: null, strict: true });
    const clock = spyOn(Date, "now").mockImplementation(() => new Date(2100, 0).getTime());
    try {
      const blob = blobFor({ Type: "kv", Path: "db/prod", Key: "password", Default: "" });
      expect(await requestDecrypt(socket, blob)).toEqual({ ok: true, plaintext: "value-of-db/prod" });
    } finally {
      clock.mockRestore();
    }
    listener.stop();
    await listener.exit;
  });

  test("exits after the idle timeout without decrypt requests, removing socket and record", async () => {
    const { runtimeDir, listener, socket } = await startStrict(recordingResolver(), 1);
    await requestDecrypt(socket, blobFor({ Type: "kv", Path: "db/prod", Key: "password", Default: "" }));
    await Bun.sleep(400);
    await pingListener(socket);
    expect(await listener.exit).toBe(0);
    expect(existsSync(socket)).toBe(false);
    expect(existsSync(join(runtimeDir, `${STRICT_SID}.json`))).toBe(false);
  });
});
