// The decrypt listener process body (`kpm _listen --session <sid>`, spec §7.4 steps 3–6):
// read the start document from stdin, bind the socket, report readiness, serve until expiry,
// idle timeout or a signal, then remove every trace and zero the key.
import { chmodSync } from "node:fs";
import { join } from "node:path";
import { readStreamBounded } from "@kpm/bounded-read";
import { describeFsError } from "@kpm/bounded-read/error";
import type { UnixSocketListener } from "bun";
import { messageOf, removeQuietly, rfc3339 } from "./daemon.ts";
import { createDebugLog, type DebugLog } from "./debug-log.ts";
import { answerRequest, type ServedSession } from "./decrypt-service.ts";
import { SessionError } from "./error.ts";
import { IssuedRefs } from "./issued-refs.ts";
import { type LongTimeout, setLongTimeout } from "./long-timeout.ts";
import { OWNER_POLL_MS, watchOwner } from "./owner.ts";
import { pathExists } from "./path-exists.ts";
import { confinedPeerCheck, noNewPrivs } from "./peer-check.ts";
import { DEFAULT_REQUEST_TIMEOUT_MS, listenForRequests } from "./request-server.ts";
import { checkRuntimeDir } from "./runtime-dir.ts";
import { sessionRecordPath, writeSessionRecord } from "./session-record.ts";
import { parseStartMessage, type StartMessage } from "./start-message.ts";
import type { StrictClientConfig, StrictResolver } from "./strict-resolver.ts";

export const MAX_START_MESSAGE_BYTES = 1024 * 1024;
const SESSION_KEY_BYTES = 32;
const STOP_SIGNALS = ["SIGTERM", "SIGINT", "SIGHUP"] as const;

export interface RunListenerOptions {
  sessionId: string;
  stdin: ReadableStream<Uint8Array>;
  /** Receives the ready line (with its "\n"); the caller writes it and closes stdout. */
  writeReady: (line: string) => Promise<void> | void;
  runtimeDir: string;
  createStrictResolver: (config: StrictClientConfig) => StrictResolver;
  /** How long a connection may take to send its request; 5 s unless a test shortens it. */
  requestTimeoutMs?: number;
  /** Aborting it stops the listener like SIGTERM (for embedding in a process, e.g. tests). */
  stopSignal?: AbortSignal;
  /** Value-free debug log; defaults to KPM_DEBUG=1. */
  debug?: boolean;
  /** How often the owner shell is checked; 1 s unless a test shortens it. */
  ownerPollMs?: number;
}

/** Runs the listener; resolves with the process exit code once it has stopped. */
export async function runListener(options: RunListenerOptions): Promise<number> {
  const message = await readStartMessage(options.stdin);
  if (message === null || message.session !== options.sessionId) return 1;
  const socketPath = join(options.runtimeDir, `${message.session}.sock`);
  // The listener binds only where the runtime-directory check below applies.
  if (message.socket !== socketPath) return 1;

  const key = message.mode === "default" ? decodeSessionKey(message.session_key) : null;
  const notReady = async (reason: string): Promise<number> => {
    key?.fill(0);
    await options.writeReady(`${JSON.stringify({ ready: false, error: reason })}\n`);
    return 1;
  };

  let resolver: StrictResolver | null = null;
  if (message.mode === "strict") {
    try {
      resolver = options.createStrictResolver({
        server: message.server,
        clientCert: message.client_cert,
        clientKey: message.client_key,
        ca: message.ca,
      });
    } catch (error) {
      return notReady(`strict listener: error creating AgentKMS client: ${messageOf(error)}`);
    }
  }

  try {
    checkRuntimeDir(options.runtimeDir);
  } catch (error) {
    return notReady(error instanceof SessionError ? error.message : messageOf(error));
  }
  if (pathExists(socketPath)) return notReady(`socket path already exists: ${socketPath}`);

  const debug = createDebugLog(
    options.debug ?? process.env.KPM_DEBUG === "1",
    options.runtimeDir,
    message.session,
  );
  const startedAt = Date.now();
  const session = createServedSession(message, key, resolver, startedAt, debug);

  let server: UnixSocketListener<unknown>;
  const previousUmask = process.umask(0o177);
  try {
    server = listenForRequests(
      socketPath,
      (text) => answerRequest(session, text),
      options.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS,
      confinedPeerCheck(noNewPrivs("self")),
    );
  } catch (error) {
    return notReady(`listen on ${socketPath}: ${describeFsError(error)}`);
  } finally {
    process.umask(previousUmask);
  }

  try {
    chmodSync(socketPath, 0o600);
    writeSessionRecord(options.runtimeDir, {
      session: message.session,
      pid: process.pid,
      socket: socketPath,
      strict: message.mode === "strict",
      created_at: rfc3339(startedAt),
      expires_at: message.mode === "default" ? rfc3339(startedAt + message.ttl * 1000) : null,
      idle_timeout: message.mode === "strict" ? message.idle_timeout : null,
      owner: message.owner ?? null,
      replaceable: message.replaceable ?? false,
    });
  } catch (error) {
    server.stop(true);
    removeQuietly(socketPath);
    removeQuietly(sessionRecordPath(options.runtimeDir, message.session));
    return notReady(`write session record: ${describeFsError(error)}`);
  }

  return new Promise<number>((resolveExit) => {
    let stopped = false;
    let expiry: LongTimeout | null = null;
    let idleTimer: ReturnType<typeof setTimeout> | undefined;
    let stopWatchingOwner = (): void => {};

    const stop = (reason: string): void => {
      if (stopped) return;
      stopped = true;
      expiry?.cancel();
      stopWatchingOwner();
      clearTimeout(idleTimer);
      for (const signal of STOP_SIGNALS) process.off(signal, onSignal);
      options.stopSignal?.removeEventListener("abort", onAbort);
      server.stop(true);
      removeQuietly(socketPath);
      removeQuietly(sessionRecordPath(options.runtimeDir, message.session));
      key?.fill(0);
      debug(`listener stopped: ${reason}`);
      resolveExit(0);
    };
    const onSignal = (signal: NodeJS.Signals): void => stop(signal);
    const onAbort = (): void => stop("stopped");

    for (const signal of STOP_SIGNALS) process.on(signal, onSignal);
    options.stopSignal?.addEventListener("abort", onAbort);

    if (session.strict) {
      // Checked lazily so a decrypt costs one Date.now(), not a timer reset.
      let lastRequestAt = Date.now();
      const idleMs = (message.mode === "strict" ? message.idle_timeout : 0) * 1000;
      session.onDecryptRequest = () => {
        lastRequestAt = Date.now();
      };
      const checkIdle = (): void => {
        const remaining = lastRequestAt + idleMs - Date.now();
        if (remaining <= 0) stop("idle timeout");
        else idleTimer = setTimeout(checkIdle, remaining);
      };
      idleTimer = setTimeout(checkIdle, idleMs);
    } else {
      expiry = setLongTimeout(session.expiresAtMs, () => stop("session expired"));
    }
    // A listener never outlives the shell that loaded its blobs (docs/sessions.md).
    const owner = message.owner;
    if (owner) {
      stopWatchingOwner = watchOwner(
        owner,
        () => stop("owner shell exited"),
        options.ownerPollMs ?? OWNER_POLL_MS,
      );
    }

    debug(`listener started: mode=${message.mode} pid=${process.pid}`);
    Promise.resolve(options.writeReady(`${JSON.stringify({ ready: true, pid: process.pid })}\n`)).catch(() =>
      stop("ready line could not be written"),
    );
    if (options.stopSignal?.aborted) stop("stopped");
  });
}

function createServedSession(
  message: StartMessage,
  key: Uint8Array | null,
  resolver: StrictResolver | null,
  startedAt: number,
  debug: DebugLog,
): ServedSession {
  if (message.mode === "strict" && resolver !== null) {
    return {
      strict: true,
      sessionId: message.session,
      issued: new IssuedRefs(message.refs),
      resolver,
      onDecryptRequest: () => {},
      debug,
    };
  }
  const ttlSeconds = message.mode === "default" ? message.ttl : 0;
  const expiresAtMs = startedAt + ttlSeconds * 1000;
  return {
    strict: false,
    sessionId: message.session,
    key: key ?? new Uint8Array(0),
    expiresAtMs,
    expiresAt: rfc3339(expiresAtMs),
    onDecryptRequest: () => {},
    debug,
  };
}

/** The start document, or null when stdin fails, exceeds the cap or does not parse. */
async function readStartMessage(stdin: ReadableStream<Uint8Array>): Promise<StartMessage | null> {
  let raw: Uint8Array;
  try {
    // The bounded reader zeroes every chunk it copied or refused: the document may hold the key.
    raw = await readStreamBounded(stdin, MAX_START_MESSAGE_BYTES);
  } catch {
    return null;
  }
  try {
    return parseStartMessage(JSON.parse(new TextDecoder().decode(raw)));
  } catch {
    return null;
  } finally {
    raw.fill(0);
  }
}

function decodeSessionKey(encoded: string): Uint8Array {
  const decoded = Buffer.from(encoded, "base64");
  const key = new Uint8Array(SESSION_KEY_BYTES);
  key.set(decoded.subarray(0, SESSION_KEY_BYTES));
  decoded.fill(0);
  return key;
}
