// The dev server's transport and lifecycle: a node:tls listener (TLS 1.3, verified client certificate)
// feeding a non-listening node:http server, because only that combination exposes the peer certificate
// to request handlers under Bun (wire §10, §11).
import { createServer as createHttpServer, type IncomingMessage, type ServerResponse } from "node:http";
import { join } from "node:path";
import { createServer as createTlsServer, type TLSSocket } from "node:tls";
import { BoundedReadError, MAX_PEM_BYTES, readFileBounded } from "@kpm/bounded-read";
import { AuditLog } from "./audit.ts";
import { ConnectionGuard, type ConnectionLimits } from "./connection-guard.ts";
import { DevError } from "./errors.ts";
import { defaultPolicy, loadPolicy } from "./policy.ts";
import { VendRateLimiter } from "./ratelimit.ts";
import type { RouteStore } from "./route-deps.ts";
import { handleRequest } from "./routes.ts";
import type { LogFn, LogLevel } from "./server-log.ts";
import { SecretStore } from "./store.ts";
import { TokenService } from "./token.ts";

export interface ServerOptions {
  dir: string;
  host: string;
  port: number;
  auditPath?: string;
  environment?: string;
  rateLimitSeconds?: number;
  policyPath?: string;
  tokenTtlSeconds?: number;
  log?: (line: string) => void;
  /** Timeouts and caps against abusive clients; unset values take DEFAULT_CONNECTION_LIMITS, 0 disables. */
  limits?: Partial<ConnectionLimits>;
}

export interface RunningServer {
  host: string;
  port: number;
  /** The connection limits in force (defaults filled in). */
  limits: Readonly<ConnectionLimits>;
  close(graceMs?: number): Promise<void>;
}

const DEFAULT_TOKEN_TTL_SECONDS = 900;
const DEFAULT_GRACE_MS = 10_000;

/** One slog-style text line: `time=… level=INFO msg="…" key=value`. */
export function formatLogLine(
  level: LogLevel,
  msg: string,
  attrs: Record<string, string | number> = {},
): string {
  const quote = (value: string | number): string => {
    const text = String(value);
    return /^[^\s"=\\\u0000-\u001f\u007f]+$/.test(text) ? text : JSON.stringify(text);
  };
  let line = `time=${new Date().toISOString()} level=${level} msg=${quote(msg)}`;
  for (const [key, value] of Object.entries(attrs)) line += ` ${key}=${quote(value)}`;
  return line;
}

const utf8 = new TextDecoder("utf-8", { ignoreBOM: true });

function readPkiFile(dir: string, name: string): string {
  const path = join(dir, name);
  try {
    return utf8.decode(readFileBounded(path, MAX_PEM_BYTES));
  } catch (error) {
    const code = error instanceof BoundedReadError ? error.code : "error";
    if (name === "ca.crt" && code === "ENOENT")
      throw new DevError("no_pki", `no PKI in ${dir}; run: kpm dev enroll`);
    // An errno is shown by name ("(ENOENT)"); a file over the cap in words.
    const reason = code === "too_large" ? `: ${(error as Error).message}` : ` (${code})`;
    throw new DevError("no_pki", `cannot read ${path}${reason}; run: kpm dev enroll`);
  }
}

function formatAddress(host: string, port: number): string {
  return host.includes(":") ? `[${host}]:${port}` : `${host}:${port}`;
}

/** Starts the server; resolves once it listens. Port 0 binds an ephemeral port (see `port` of the result). */
export async function startDevServer(opts: ServerOptions): Promise<RunningServer> {
  const ca = readPkiFile(opts.dir, "ca.crt");
  const cert = readPkiFile(opts.dir, "server.crt");
  const key = readPkiFile(opts.dir, "server.key");
  const policy = opts.policyPath ? loadPolicy(opts.policyPath) : defaultPolicy();
  const emit = opts.log ?? (() => {});
  const log: LogFn = (level, msg, attrs) => emit(formatLogLine(level, msg, attrs));
  const store: RouteStore = new SecretStore(opts.dir);
  const audit = new AuditLog(opts.auditPath ?? join(opts.dir, "audit.ndjson"), opts.environment ?? "dev");
  const deps = {
    tokens: new TokenService(opts.tokenTtlSeconds ?? DEFAULT_TOKEN_TTL_SECONDS),
    policy,
    audit,
    store,
    limiter: new VendRateLimiter(opts.rateLimitSeconds ?? 0),
    log,
  };

  const guard = new ConnectionGuard(opts.limits ?? {}, log);
  const sockets = new Set<TLSSocket>();
  const inFlight = new Map<object, number>();
  let closing = false;

  const http = createHttpServer({ keepAlive: true }, (req: IncomingMessage, res: ServerResponse) => {
    const socket = req.socket;
    // The guard already answered 414 on this connection; the request line is not ours to act on.
    if (!guard.requestStarted(socket, req)) return;
    inFlight.set(socket, (inFlight.get(socket) ?? 0) + 1);
    if (closing) res.setHeader("Connection", "close");
    const started = performance.now();
    res.on("close", () => {
      const left = (inFlight.get(socket) ?? 1) - 1;
      if (left <= 0) inFlight.delete(socket);
      else inFlight.set(socket, left);
      if (left <= 0) guard.responseFinished(socket);
      if (closing && left <= 0) socket.end();
    });
    handleRequest(deps, req, res)
      .then((status) => {
        // Bodies we never read (e.g. a 403 before decoding) are drained so keep-alive stays usable.
        if (!req.readableEnded) req.resume();
        log("INFO", "request", {
          method: req.method ?? "",
          path: (req.url ?? "").split("?")[0] ?? "",
          status,
          ms: Math.round((performance.now() - started) * 10) / 10,
        });
      })
      .catch((error: unknown) => {
        // The peer left, or the guard cut a request whose body did not arrive in time: nothing to answer.
        if (socket.destroyed) {
          log("INFO", "request aborted", {
            method: req.method ?? "",
            path: (req.url ?? "").split("?")[0] ?? "",
          });
          return;
        }
        // Panic recovery: a fixed body, never the error text (wire §8).
        log("ERROR", "handler failed", { error: error instanceof Error ? error.name : "unknown" });
        if (!res.headersSent) {
          const body = '{"error":"internal error","code":"internal_error"}\n';
          res.writeHead(500, { "Content-Type": "application/json", "Content-Length": String(body.length) });
          res.end(body);
        } else res.destroy();
      });
  });
  // Go's ReadHeaderTimeout 5 s, ReadTimeout 15 s, IdleTimeout 60 s (wire §2.1) are enforced by the
  // guard: Bun 1.4.5 accepts these three settings and ignores them.
  http.headersTimeout = 0;
  http.requestTimeout = 0;
  // Only advertised (`Keep-Alive: timeout=N`); the guard closes idle connections.
  http.keepAliveTimeout = guard.limits.idleTimeoutMs;
  http.on("clientError", (error: NodeJS.ErrnoException, socket) => {
    if (guard.rejected(socket as TLSSocket)) return; // its 414 is on the way out
    // Bun's parser stops at 16 KiB of headers; answer as Go does past its own limit.
    if (error.code === "HPE_HEADER_OVERFLOW" && socket.writable) {
      const text = "431 Request Header Fields Too Large";
      socket.end(
        `HTTP/1.1 ${text}\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: ${text.length}\r\n` +
          `Connection: close\r\n\r\n${text}`,
      );
    } else socket.destroy();
  });

  const tls = createTlsServer(
    {
      key,
      cert,
      ca,
      requestCert: true,
      rejectUnauthorized: true,
      minVersion: "TLSv1.3",
      ALPNProtocols: ["http/1.1"],
    },
    (socket: TLSSocket) => {
      guard.secured(socket);
      sockets.add(socket);
      socket.on("close", () => sockets.delete(socket));
      // A peer vanishing mid-request must not take the server down.
      socket.on("error", () => socket.destroy());
      if (closing) {
        socket.destroy();
        return;
      }
      http.emit("connection", socket);
    },
  );
  // In Bun the accepted socket and the secured one are the same object, so one guard entry follows it.
  tls.on("connection", (socket: TLSSocket) => {
    if (closing) socket.destroy();
    else guard.admit(socket);
  });
  tls.on("tlsClientError", (error: Error, socket: TLSSocket) => guard.handshakeFailed(socket, error));

  await new Promise<void>((resolve, reject) => {
    const onError = (error: NodeJS.ErrnoException) => {
      tls.off("listening", onListening);
      audit.close();
      if (error.code === "EADDRINUSE") {
        reject(
          new DevError(
            "addr_in_use",
            `listen ${formatAddress(opts.host, opts.port)}: address already in use`,
          ),
        );
      } else
        reject(new DevError("listen", `listen ${formatAddress(opts.host, opts.port)}: ${error.message}`));
    };
    const onListening = () => {
      tls.off("error", onError);
      resolve();
    };
    tls.once("error", onError);
    tls.once("listening", onListening);
    tls.listen(opts.port, opts.host);
  });
  tls.on("error", (error: Error) => log("ERROR", "listener error", { error: error.message }));

  const address = tls.address();
  const port = typeof address === "object" && address ? address.port : opts.port;
  // The exact first line ("AgentKMS dev server listening on …") is the CLI's to print (cli §15.2):
  // it must be the first line of the log, not a slog record after it.

  let closed: Promise<void> | null = null;
  const close = (graceMs = DEFAULT_GRACE_MS): Promise<void> => {
    closed ??= (async () => {
      closing = true;
      const stopped = new Promise<void>((resolve) => tls.close(() => resolve()));
      // Idle keep-alive connections go now; busy ones after their current response.
      for (const socket of sockets) if (!inFlight.has(socket)) socket.end();
      const deadline = Date.now() + graceMs;
      while (inFlight.size > 0 && Date.now() < deadline) await Bun.sleep(20);
      for (const socket of sockets) socket.destroy();
      await stopped;
      guard.close();
      audit.close();
      log("INFO", "AgentKMS dev server stopped");
    })();
    return closed;
  };

  return { host: opts.host, port, limits: guard.limits, close };
}
