// Shared test fixtures: private temporary runtime directories and listener harnesses.
import { chmodSync, mkdtempSync, rmSync } from "node:fs";
import { join } from "node:path";
import { type IssuedRef, runListener, type StrictResolver } from "@kpm/session";

export const LISTEN_ENTRY = join(import.meta.dir, "listen-entry.ts");
export const LISTEN_COMMAND = [process.execPath, "--no-env-file", "--config=/dev/null", LISTEN_ENTRY];

const created: string[] = [];

/** A fresh 0700 directory with a short path (socket paths must stay ≤ 103 bytes). */
export function makePrivateDir(prefix = "kpmt-"): string {
  const dir = mkdtempSync(join("/tmp", prefix));
  chmodSync(dir, 0o700);
  created.push(dir);
  return dir;
}

export function removeCreatedDirs(): void {
  for (const dir of created.splice(0)) rmSync(dir, { recursive: true, force: true });
}

export function testKey(seed = 7): Uint8Array {
  return Uint8Array.from({ length: 32 }, (_, i) => (i * 31 + seed) & 0xff);
}

export function defaultStart(sessionId: string, runtimeDir: string, key: Uint8Array, ttl = 3600) {
  return {
    v: 1,
    mode: "default",
    session: sessionId,
    socket: join(runtimeDir, `${sessionId}.sock`),
    ttl,
    session_key: Buffer.from(key).toString("base64"),
  };
}

export function strictStart(sessionId: string, runtimeDir: string, refs: IssuedRef[], idle = 3600) {
  return {
    v: 1,
    mode: "strict",
    session: sessionId,
    socket: join(runtimeDir, `${sessionId}.sock`),
    idle_timeout: idle,
    server: "https://kms.invalid",
    client_cert: "/c.crt",
    client_key: "/c.key",
    ca: "/ca.crt",
    refs,
  };
}

/** A resolver fake that records every call. */
export function recordingResolver(
  answer: StrictResolver["resolve"] = async (ref) => ({ ok: true, value: `value-of-${ref.Path}` }),
): StrictResolver & { calls: IssuedRef[] } {
  const calls: IssuedRef[] = [];
  return {
    calls,
    resolve(ref) {
      calls.push(ref);
      return answer(ref);
    },
  };
}

export interface InProcessListener {
  ready: Promise<string>;
  exit: Promise<number>;
  stop: () => void;
}

/** Runs runListener inside the test process (so coverage sees it) with `input` as stdin. */
export function startInProcess(
  input: unknown,
  options: {
    sessionId: string;
    runtimeDir: string;
    resolver?: StrictResolver;
    createStrictResolver?: () => StrictResolver;
    requestTimeoutMs?: number;
    debug?: boolean;
    ownerPollMs?: number;
  },
): InProcessListener {
  const bytes = input instanceof Uint8Array ? input : new TextEncoder().encode(JSON.stringify(input));
  const controller = new AbortController();
  let onReady: (line: string) => void = () => {};
  const ready = new Promise<string>((resolve) => {
    onReady = resolve;
  });
  const exit = runListener({
    sessionId: options.sessionId,
    stdin: new ReadableStream<Uint8Array>({
      start(controller) {
        // Two chunks, as a pipe may deliver them.
        controller.enqueue(bytes.slice(0, Math.floor(bytes.length / 2)));
        controller.enqueue(bytes.slice(Math.floor(bytes.length / 2)));
        controller.close();
      },
    }),
    writeReady: onReady,
    runtimeDir: options.runtimeDir,
    createStrictResolver:
      options.createStrictResolver ??
      (() =>
        options.resolver ?? recordingResolver(async () => ({ ok: false, denied: false, message: "unused" }))),
    requestTimeoutMs: options.requestTimeoutMs,
    stopSignal: controller.signal,
    debug: options.debug ?? false,
    ownerPollMs: options.ownerPollMs,
  });
  return { ready, exit, stop: () => controller.abort() };
}

/** Sends raw bytes on a fresh connection and collects everything until the listener closes. */
export async function rawExchange(socketPath: string, payload: Uint8Array | string, halfClose = false) {
  const received: Uint8Array[] = [];
  let closed: () => void = () => {};
  const done = new Promise<void>((resolve) => {
    closed = resolve;
  });
  const socket = await Bun.connect({
    unix: socketPath,
    allowHalfOpen: true,
    socket: {
      data(_socket, chunk) {
        received.push(Uint8Array.prototype.slice.call(chunk));
      },
      close() {
        closed();
      },
      end() {
        closed();
      },
      error() {
        closed();
      },
    },
  });
  const bytes = typeof payload === "string" ? new TextEncoder().encode(payload) : payload;
  let offset = 0;
  while (offset < bytes.length) {
    const written = socket.write(bytes.subarray(offset));
    if (written <= 0) break;
    offset += written;
    if (offset < bytes.length) await Bun.sleep(1);
  }
  if (halfClose) socket.shutdown();
  await done;
  socket.end();
  return Buffer.concat(received).toString("utf8");
}
