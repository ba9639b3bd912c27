// Keeps the dev server answering under abuse. Bun 1.4.5 ignores node:tls `handshakeTimeout` (it
// reports the timeout but leaves the socket open), node:http `headersTimeout`, `requestTimeout` and
// `keepAliveTimeout`, so the wire timeouts (ReadHeader 5 s, Read 15 s, Idle 60 s) are enforced here
// with one timer per connection; plus connection caps and a request-line limit.
import { FailureLog } from "./failure-log.ts";
import type { LogFn } from "./server-log.ts";

export interface ConnectionLimits {
  /** TCP accept until the TLS handshake completes. Go's effective value with these timeouts is 5 s. */
  handshakeTimeoutMs: number;
  /** First byte of a request (or handshake end, for the first request) until its headers are parsed. */
  headerTimeoutMs: number;
  /** First byte of a request until its body has been received (Go's ReadTimeout). */
  requestTimeoutMs: number;
  /** End of a response until the first byte of the next request on a keep-alive connection. */
  idleTimeoutMs: number;
  /** Open connections, counted from TCP accept. */
  maxConnections: number;
  maxConnectionsPerAddress: number;
  /** Longest request line (method, target, version) before the server answers 414. */
  maxRequestLineBytes: number;
  /** Connection failures are logged at most once per this interval per address and kind, with a count. */
  failureLogIntervalMs: number;
}

/** Every value may be set to 0 to switch that defence off. */
export const DEFAULT_CONNECTION_LIMITS: Readonly<ConnectionLimits> = Object.freeze({
  handshakeTimeoutMs: 5_000,
  headerTimeoutMs: 5_000,
  requestTimeoutMs: 15_000,
  idleTimeoutMs: 60_000,
  maxConnections: 256,
  // Loopback clients all share 127.0.0.1 and each kpm process keeps up to 8 requests in flight.
  maxConnectionsPerAddress: 64,
  maxRequestLineBytes: 8 * 1024,
  failureLogIntervalMs: 1_000,
});

/** What the guard needs of a socket; node:tls sockets fit, and unit tests pass small fakes. */
export interface GuardedSocket {
  readonly remoteAddress?: string | undefined;
  on(event: "close", listener: () => void): unknown;
  on(event: "data", listener: (chunk: Buffer) => void): unknown;
  end(data: string): unknown;
  destroy(): unknown;
}

/** What the guard needs of a request: whether its body has been fully received. */
export interface GuardedRequest {
  readonly complete: boolean;
}

type Phase = "handshake" | "idle" | "head" | "body" | "busy";

interface Connection {
  address: string;
  phase: Phase;
  timer: ReturnType<typeof setTimeout> | null;
  firstByteAt: number;
  /** Bytes of the current request line so far; -1 once its end has been seen. */
  lineBytes: number;
  lineEndsWithCR: boolean;
}

const LF = 0x0a;
const CR = 0x0d;
const REQUEST_LINE_REPLY =
  "HTTP/1.1 414 URI Too Long\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: 16\r\n" +
  "Connection: close\r\n\r\n414 URI Too Long";
/** How long a refused client gets to read the 414 before the connection is cut. */
const REJECT_LINGER_MS = 1_000;

/** `::ffff:127.0.0.1` and `127.0.0.1` are one client. */
export function clientAddress(remoteAddress: string | undefined): string {
  if (!remoteAddress) return "unknown";
  return remoteAddress.startsWith("::ffff:") ? remoteAddress.slice(7) : remoteAddress;
}

export class ConnectionGuard {
  readonly limits: Readonly<ConnectionLimits>;
  readonly #connections = new Map<GuardedSocket, Connection>();
  readonly #perAddress = new Map<string, number>();
  /** Sockets the guard closed itself: their later handshake errors are not the peer's failures. */
  readonly #closedByGuard = new WeakSet<GuardedSocket>();
  readonly #rejected = new WeakSet<GuardedSocket>();
  readonly #failures: FailureLog;

  constructor(limits: Partial<ConnectionLimits>, log: LogFn) {
    this.limits = { ...DEFAULT_CONNECTION_LIMITS, ...limits };
    this.#failures = new FailureLog(log, this.limits.failureLogIntervalMs);
  }

  /** Open connections (accepted and not yet closed). */
  get size(): number {
    return this.#connections.size;
  }

  /**
   * TCP accept. Beyond a cap the socket is destroyed at once: TLS is not up yet, so no HTTP status
   * can be sent, and finishing a handshake just to say 503 would spend the CPU the cap protects.
   */
  admit(socket: GuardedSocket): boolean {
    const address = clientAddress(socket.remoteAddress);
    const { maxConnections, maxConnectionsPerAddress } = this.limits;
    const fromAddress = this.#perAddress.get(address) ?? 0;
    let refusal = "";
    if (maxConnections > 0 && this.#connections.size >= maxConnections) refusal = "server connection limit";
    else if (maxConnectionsPerAddress > 0 && fromAddress >= maxConnectionsPerAddress)
      refusal = "per-address connection limit";
    if (refusal) {
      this.#failures.record("WARN", "connection refused", address, refusal);
      this.#closedByGuard.add(socket);
      socket.destroy();
      return false;
    }
    const connection: Connection = {
      address,
      phase: "handshake",
      timer: null,
      firstByteAt: 0,
      lineBytes: 0,
      lineEndsWithCR: false,
    };
    this.#connections.set(socket, connection);
    this.#perAddress.set(address, fromAddress + 1);
    socket.on("close", () => this.#forget(socket));
    this.#arm(connection, this.limits.handshakeTimeoutMs, () => {
      this.#failures.record("WARN", "TLS handshake failed", address, "handshake timeout");
      this.#kill(socket, connection);
    });
    return true;
  }

  /** A handshake error reported by node:tls; logged rate-limited unless the guard caused it. */
  handshakeFailed(socket: GuardedSocket, error: Error): void {
    if (this.#closedByGuard.has(socket)) return;
    const address = this.#connections.get(socket)?.address ?? clientAddress(socket.remoteAddress);
    this.#failures.record("WARN", "TLS handshake failed", address, error.message);
  }

  /** Handshake done. Call before node:http sees the socket, so the guard reads each chunk first. */
  secured(socket: GuardedSocket): void {
    const connection = this.#connections.get(socket);
    if (!connection) return;
    this.#startHead(socket, connection);
    socket.on("data", (chunk) => this.#onData(socket, connection, chunk));
  }

  /**
   * node:http parsed a request's headers. False when the guard already answered this connection
   * (414): the request must not be handled.
   */
  requestStarted(socket: GuardedSocket, request: GuardedRequest): boolean {
    if (this.#rejected.has(socket)) return false;
    const connection = this.#connections.get(socket);
    if (!connection) return true;
    // A request whose first byte arrived while the previous response was still being written.
    if (connection.phase !== "head") connection.firstByteAt = Date.now();
    connection.lineBytes = -1;
    if (request.complete) {
      this.#disarm(connection);
      connection.phase = "busy";
      return true;
    }
    connection.phase = "body";
    const remaining = connection.firstByteAt + this.limits.requestTimeoutMs - Date.now();
    this.#arm(connection, this.limits.requestTimeoutMs > 0 ? Math.max(1, remaining) : 0, () => {
      if (request.complete) {
        connection.phase = "busy";
        return;
      }
      this.#failures.record("WARN", "request timeout", connection.address, "body not received in time");
      this.#kill(socket, connection);
    });
    return true;
  }

  /** The last response on the connection is written: it may idle until the next request. */
  responseFinished(socket: GuardedSocket): void {
    const connection = this.#connections.get(socket);
    if (!connection || this.#rejected.has(socket)) return;
    connection.phase = "idle";
    this.#arm(connection, this.limits.idleTimeoutMs, () => this.#kill(socket, connection));
  }

  /** True when the guard answered 414 on this connection; node:http's later errors are expected. */
  rejected(socket: GuardedSocket): boolean {
    return this.#rejected.has(socket);
  }

  /** Server shutdown: stops every timer and writes the failure counts still pending. */
  close(): void {
    for (const connection of this.#connections.values()) this.#disarm(connection);
    this.#failures.close();
  }

  #startHead(socket: GuardedSocket, connection: Connection): void {
    connection.phase = "head";
    connection.firstByteAt = Date.now();
    connection.lineBytes = 0;
    connection.lineEndsWithCR = false;
    const { headerTimeoutMs, requestTimeoutMs } = this.limits;
    // The head is also part of the request, so the read timeout bounds it when the header one is off.
    const enabled = [headerTimeoutMs, requestTimeoutMs].filter((ms) => ms > 0);
    this.#arm(connection, enabled.length > 0 ? Math.min(...enabled) : 0, () => {
      this.#failures.record("WARN", "request timeout", connection.address, "headers not received in time");
      this.#kill(socket, connection);
    });
  }

  #onData(socket: GuardedSocket, connection: Connection, chunk: Buffer): void {
    if (connection.phase === "idle") this.#startHead(socket, connection);
    if (connection.phase !== "head" || connection.lineBytes < 0) return;
    let start = 0;
    // Parsers skip empty lines before a request line; they are not part of it.
    if (connection.lineBytes === 0) while (chunk[start] === CR || chunk[start] === LF) start++;
    const newline = chunk.indexOf(LF, start);
    const end = newline < 0 ? chunk.length : newline;
    connection.lineBytes += end - start;
    if (end > start) connection.lineEndsWithCR = chunk[end - 1] === CR;
    // The CR of the terminating CRLF is not part of the line; until the LF arrives, allow for it.
    const length = connection.lineBytes - (connection.lineEndsWithCR ? 1 : 0);
    const max = this.limits.maxRequestLineBytes;
    if (max > 0 && length > max) this.#rejectRequestLine(socket, connection);
    else if (newline >= 0) connection.lineBytes = -1;
  }

  #rejectRequestLine(socket: GuardedSocket, connection: Connection): void {
    this.#rejected.add(socket);
    connection.phase = "busy";
    this.#failures.record("WARN", "request rejected", connection.address, "request line too long");
    socket.end(REQUEST_LINE_REPLY);
    this.#arm(connection, REJECT_LINGER_MS, () => this.#kill(socket, connection));
  }

  #arm(connection: Connection, ms: number, onExpiry: () => void): void {
    this.#disarm(connection);
    if (ms <= 0) return;
    connection.timer = setTimeout(onExpiry, ms);
    connection.timer.unref();
  }

  #disarm(connection: Connection): void {
    if (connection.timer) clearTimeout(connection.timer);
    connection.timer = null;
  }

  #kill(socket: GuardedSocket, connection: Connection): void {
    this.#disarm(connection);
    this.#closedByGuard.add(socket);
    socket.destroy();
  }

  #forget(socket: GuardedSocket): void {
    const connection = this.#connections.get(socket);
    if (!connection) return;
    this.#disarm(connection);
    this.#connections.delete(socket);
    const left = (this.#perAddress.get(connection.address) ?? 1) - 1;
    if (left <= 0) this.#perAddress.delete(connection.address);
    else this.#perAddress.set(connection.address, left);
  }
}
