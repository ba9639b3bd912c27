// The agent process body (`kpm _agent`): bind <RuntimeDir>/agent.sock (0600, in the 0700 runtime
// directory), serve same-uid peers one AgentKMS client per server — each a kept-alive mTLS session —
// with vended values cached in memory, and exit when idle, when a file it loaded changes, when its
// socket is taken away, on `kpm agent stop` or on a signal.
import { chmodSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { AgentKmsClient } from "@kpm/agentkms-client";
import { peerCredentials } from "@kpm/libc";
import { confinedPeerCheck, ensureRuntimeDir, noNewPrivs } from "@kpm/session";
import { messageOf, removeQuietly, rfc3339 } from "@kpm/session/daemon";
import type { Socket, UnixSocketListener } from "bun";
import { VendCache } from "./cache.ts";
import { AgentConnection } from "./connection.ts";
import { FileWatch, fileStamp } from "./file-stamp.ts";
import {
  AGENT_PID_NAME,
  AGENT_SOCKET_NAME,
  type AgentRequest,
  type AgentResponse,
  type AgentStatus,
  CACHED_METHODS,
  CALL_METHODS,
  type CallMethod,
  type CallRequest,
  type GetRequest,
  MAX_LINE_BYTES,
  parseRequest,
  type ServerSettings,
  toRemoteError,
} from "./protocol.ts";

const STOP_SIGNALS = ["SIGTERM", "SIGINT", "SIGHUP"] as const;
export const DEFAULT_POLL_MS = 1000;

export interface RunAgentOptions {
  runtimeDir: string;
  idleTimeoutSeconds: number;
  cacheTtlSeconds: number;
  /** Files whose change stops the agent from the start (the config file it was started for). */
  watch: string[];
  /** Builds the client for one server; throws (bad URL, unreadable PEM) when it cannot. */
  createClient: (settings: ServerSettings) => AgentKmsClient;
  /** Receives the ready line (with its "\n"). */
  writeReady: (line: string) => Promise<void> | void;
  /**
   * The fast path of `kpm get`: the value to print for `request.input`, reading through `reads`
   * (the agent's cached client for a server); throws when it cannot answer. Without it, "get" fails.
   */
  get?: (request: GetRequest, reads: ReadsFor) => Promise<string>;
  /** Null to serve the peer on a connection's descriptor, else why not; defaults to peerCheck(). */
  admit?: (fd: number) => string | null;
  /** How often idleness, the watched files and the socket are checked. */
  pollMs?: number;
  /** Aborting it stops the agent like SIGTERM (tests). */
  stopSignal?: AbortSignal;
  /** Value-free notes on what the agent does (KPM_DEBUG=1). */
  debug?: (line: string) => void;
}

/** The agent's client for a server (reads only, cached as `call` requests are); `config` is watched. */
export type ReadsFor = (settings: ServerSettings, config: string) => AgentKmsClient;

interface ServerEntry {
  server: string;
  client: AgentKmsClient;
  requests: number;
}

interface Peer {
  buffer: string;
  refused: boolean;
  queued: Uint8Array[];
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/**
 * Same uid as the agent, and — like the decrypt listeners — not a process confined by
 * `kpm run --secure` (no_new_privs), unless the agent itself runs confined.
 */
export function peerCheck(uid: number = process.getuid?.() ?? 0): (fd: number) => string | null {
  const confined = confinedPeerCheck(noNewPrivs("self"));
  return (fd) => {
    const peer = peerCredentials(fd);
    if (peer.ok && peer.value.uid !== uid) return `refused: peer uid ${peer.value.uid} is not ${uid}`;
    return confined(fd);
  };
}

/** Runs the agent; resolves with the exit code once it has stopped. */
export async function runAgent(options: RunAgentOptions): Promise<number> {
  const debug = options.debug ?? (() => {});
  const notReady = async (reason: string): Promise<number> => {
    await options.writeReady(`${JSON.stringify({ ready: false, error: reason })}\n`);
    return 1;
  };
  try {
    ensureRuntimeDir(options.runtimeDir);
  } catch (error) {
    return notReady(messageOf(error));
  }
  const socketPath = join(options.runtimeDir, AGENT_SOCKET_NAME);
  const pidPath = join(options.runtimeDir, AGENT_PID_NAME);

  // Another agent may already serve (two commands started one at once): the first one stays.
  const existing = await AgentConnection.open(socketPath);
  if (existing !== null) {
    const answer = await existing.request({ op: "status" }).catch(() => null);
    existing.close();
    const pid = answer !== null && "value" in answer ? (answer.value as AgentStatus).pid : undefined;
    if (pid !== undefined) {
      await options.writeReady(`${JSON.stringify({ ready: true, pid })}\n`);
      return 0;
    }
  }
  removeQuietly(socketPath);

  const startedAt = Date.now();
  const cache = new VendCache(options.cacheTtlSeconds * 1000);
  const servers = new Map<string, ServerEntry>();
  const watch = new FileWatch();
  for (const path of options.watch) watch.add(path);
  const admit = options.admit ?? peerCheck();
  let requests = 0;
  let lastRequestAt = startedAt;
  let stop: (reason: string) => void = () => {};
  // The answer is written first (the caller waits for it), then the agent goes.
  const stopAfterAnswer = (reason: string): void => void setTimeout(() => stop(reason), 20);

  const serverFor = (settings: ServerSettings): ServerEntry => {
    const key = JSON.stringify([settings.server, settings.cert, settings.key, settings.ca]);
    let entry = servers.get(key);
    if (entry === undefined) {
      for (const path of [settings.cert, settings.key, settings.ca]) watch.add(path);
      entry = { server: settings.server, client: options.createClient(settings), requests: 0 };
      servers.set(key, entry);
      debug(`agent: new client for ${settings.server}`);
    }
    return entry;
  };

  /** The stale answer when a watched file changed (and the agent stops), else null. */
  const staleness = (): string | null => {
    const changed = watch.changed();
    if (changed === null) return null;
    stopAfterAnswer(`${changed} changed`);
    return `the agent is stale: ${changed} changed`;
  };

  /** One read for a server: cached when it is a vend. Throws the client's error. */
  const serve = (settings: ServerSettings, method: CallMethod, args: unknown[]): Promise<unknown> => {
    requests++;
    lastRequestAt = Date.now();
    const entry = serverFor(settings);
    entry.requests++;
    const call = () => (entry.client[method] as (...callArgs: unknown[]) => Promise<unknown>)(...args);
    return CACHED_METHODS.has(method) ? cache.get(JSON.stringify([settings, method, args]), call) : call();
  };

  const answerCall = async (request: CallRequest): Promise<AgentResponse> => {
    const { id } = request;
    if (request.config !== undefined) watch.add(request.config);
    const stale = staleness();
    if (stale !== null) return { id, fail: stale };
    try {
      serverFor(request.settings);
    } catch (error) {
      // The direct path reports the same failure in its own words.
      return { id, fail: `cannot create a client: ${messageOf(error)}` };
    }
    try {
      return { id, value: (await serve(request.settings, request.method, request.args)) ?? null };
    } catch (error) {
      const remote = toRemoteError(error);
      return remote === null ? { id, fail: `internal error: ${messageOf(error)}` } : { id, error: remote };
    }
  };

  const reads: ReadsFor = (settings, config) => {
    watch.add(config);
    const methods = Object.fromEntries(
      CALL_METHODS.map((method) => [method, (...args: unknown[]) => serve(settings, method, args)]),
    ) as Pick<AgentKmsClient, CallMethod>;
    const notHere = async (): Promise<never> => {
      throw new Error("not served by the agent");
    };
    return {
      ...methods,
      writeSecret: notHere,
      writeMetadata: notHere,
      deleteSecret: notHere,
      healthz: notHere,
      authenticate: notHere,
      close() {},
    };
  };

  const answerGet = async (request: GetRequest): Promise<AgentResponse> => {
    const { id } = request;
    const stale = staleness();
    if (stale !== null || options.get === undefined) return { id, fail: stale ?? "get is not served here" };
    try {
      return { id, value: await options.get(request, reads) };
    } catch (error) {
      return { id, fail: messageOf(error) };
    }
  };

  const status = (): AgentStatus => ({
    pid: process.pid,
    started_at: rfc3339(startedAt),
    uptime_seconds: Math.floor((Date.now() - startedAt) / 1000),
    requests,
    cache_entries: cache.size,
    cache_ttl_seconds: options.cacheTtlSeconds,
    idle_timeout_seconds: options.idleTimeoutSeconds,
    servers: [...servers.values()].map((entry) => {
      const expiresAt = entry.client.sessionExpiresAt?.() ?? null;
      return {
        server: entry.server,
        token_expires_at: expiresAt === null ? null : rfc3339(expiresAt),
        requests: entry.requests,
      };
    }),
  });

  const answer = async (request: AgentRequest): Promise<AgentResponse> => {
    switch (request.op) {
      case "call":
        return answerCall(request);
      case "get":
        return answerGet(request);
      case "status":
        return { id: request.id, value: status() };
      case "flush":
        cache.clear();
        debug("agent: cache flushed");
        return { id: request.id, value: null };
      case "stop":
        stopAfterAnswer("kpm agent stop");
        return { id: request.id, value: null };
    }
  };

  const send = (socket: Socket<Peer>, response: AgentResponse): void => {
    socket.data.queued.push(encoder.encode(`${JSON.stringify(response)}\n`));
    flush(socket);
  };

  let listener: UnixSocketListener<Peer>;
  const previousUmask = process.umask(0o177);
  try {
    listener = Bun.listen<Peer>({
      unix: socketPath,
      socket: {
        open(socket) {
          socket.data = { buffer: "", refused: false, queued: [] };
          const refusal = admit((socket as unknown as { fd: number }).fd);
          if (refusal !== null) {
            debug(`agent: connection ${refusal}`);
            socket.data.refused = true;
            socket.end();
          }
        },
        data(socket, chunk) {
          const peer = socket.data;
          if (peer.refused) return;
          peer.buffer += decoder.decode(chunk, { stream: true });
          for (let newline = peer.buffer.indexOf("\n"); newline !== -1; newline = peer.buffer.indexOf("\n")) {
            const line = peer.buffer.slice(0, newline);
            peer.buffer = peer.buffer.slice(newline + 1);
            const request = parseRequest(line);
            if (request === null) {
              socket.end();
              return;
            }
            answer(request).then((response) => send(socket, response));
          }
          if (peer.buffer.length > MAX_LINE_BYTES) socket.end();
        },
        drain: flush,
        error() {
          // A client that vanished mid-request harms nobody else.
        },
      },
    });
  } catch (error) {
    return notReady(`listen on ${socketPath}: ${messageOf(error)}`);
  } finally {
    process.umask(previousUmask);
  }
  chmodSync(socketPath, 0o600);
  const socketStamp = fileStamp(socketPath);
  writeFileSync(pidPath, `${process.pid}\n`, { mode: 0o600 });

  return new Promise<number>((resolveExit) => {
    let stopped = false;
    const poll = setInterval(() => {
      if (fileStamp(socketPath) !== socketStamp) return stop("its socket was removed or replaced");
      const changed = watch.changed();
      if (changed !== null) return stop(`${changed} changed`);
      if (Date.now() - lastRequestAt >= options.idleTimeoutSeconds * 1000) stop("idle timeout");
    }, options.pollMs ?? DEFAULT_POLL_MS);
    const onSignal = (signal: NodeJS.Signals): void => stop(signal);
    const onAbort = (): void => stop("stopped");

    stop = (reason) => {
      if (stopped) return;
      stopped = true;
      clearInterval(poll);
      for (const signal of STOP_SIGNALS) process.off(signal, onSignal);
      options.stopSignal?.removeEventListener("abort", onAbort);
      listener.stop(true);
      // Only our own socket: a newer agent may have bound the path since.
      if (fileStamp(socketPath) === socketStamp) {
        removeQuietly(socketPath);
        removeQuietly(pidPath);
      }
      cache.clear();
      for (const entry of servers.values()) entry.client.close();
      debug(`agent stopped: ${reason}`);
      resolveExit(0);
    };
    for (const signal of STOP_SIGNALS) process.on(signal, onSignal);
    options.stopSignal?.addEventListener("abort", onAbort);
    debug(`agent started: pid=${process.pid}`);
    Promise.resolve(options.writeReady(`${JSON.stringify({ ready: true, pid: process.pid })}\n`)).catch(() =>
      stop("ready line could not be written"),
    );
    if (options.stopSignal?.aborted) stop("stopped");
  });
}

function flush(socket: Socket<Peer>): void {
  const queued = socket.data.queued;
  while (queued.length > 0) {
    const next = queued[0] as Uint8Array;
    const written = socket.write(next);
    if (written < 0) {
      queued.length = 0;
      return;
    }
    if (written < next.byteLength) {
      queued[0] = next.subarray(written);
      return;
    }
    // The line may hold a value: zero our copy once the kernel has it.
    next.fill(0);
    queued.shift();
  }
}
