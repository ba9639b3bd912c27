// What `kpm doctor` reports about the server, one step at a time so each failure names its layer:
// can a TCP connection be opened, does the mTLS handshake complete (an HTTP answer over it proves
// both sides accepted the other's certificate), does `POST /auth/session` issue a token, and how far
// the server's clock (its HTTP `Date` header) is from ours. The token is dropped unread.
import type { ClientConfig } from "./client.ts";
import { AgentKmsError } from "./errors.ts";
import { httpError } from "./http-error.ts";
import { checkSession } from "./response-checks.ts";
import { checkTlsFiles, readTlsFiles } from "./tls-material.ts";
import { TLS_1_3_ONLY } from "./transport.ts";
import {
  type TransportCause,
  type TransportContext,
  transportCause,
  transportReason,
} from "./transport-error.ts";

export const PROBE_TIMEOUT_MS = 5_000;

/** The client's own settings (ClientConfig), with a per-step timeout of 5 s by default. */
export type ProbeConfig = Pick<ClientConfig, "server" | "cert" | "key" | "ca" | "timeoutMs" | "userAgent">;

/** Why a step failed, for a caller that suggests a fix: a transport fault, an HTTP status, a bad body. */
export type ProbeCause = TransportCause | "http" | "decode";

export type ProbeStep = { ok: true } | { ok: false; reason: string; cause: ProbeCause; status?: number };

export interface ServerProbe {
  /** A TCP connection to the server's host and port. */
  reach: ProbeStep;
  /** The mTLS handshake and an HTTP answer over it (`GET /healthz`); absent when not reached. */
  tls?: ProbeStep;
  /** `POST /auth/session`; absent when the handshake failed. */
  auth?: ProbeStep;
  /** Server clock minus ours, in whole seconds, from the `Date` header; absent without one. */
  clockSkewSeconds?: number;
}

/** `https://host:port` → host (brackets kept off an IPv6 literal) and port (443 by default). */
function endpoint(server: string): { url: string; host: string; port: number } {
  if (!server.startsWith("https://") || !URL.canParse(server)) {
    throw new AgentKmsError(
      "config",
      `server URL must be https://host[:port] (got ${JSON.stringify(server)})`,
    );
  }
  const parsed = new URL(server);
  const host = parsed.hostname.replace(/^\[(.*)\]$/, "$1");
  return { url: server.replace(/\/$/, ""), host, port: Number(parsed.port || 443) };
}

function seconds(milliseconds: number): string {
  return `${Number((milliseconds / 1000).toFixed(3))}s`;
}

async function connectTcp(host: string, port: number, timeoutMs: number): Promise<ProbeStep> {
  let timer: Timer | undefined;
  const timeout = new Promise<ProbeStep>((resolve) => {
    timer = setTimeout(
      () => resolve({ ok: false, reason: `timed out after ${seconds(timeoutMs)}`, cause: "timeout" }),
      timeoutMs,
    );
  });
  const attempt = Bun.connect({
    hostname: host,
    port,
    socket: { data() {}, error() {} },
  }).then(
    (socket): ProbeStep => {
      socket.end();
      return { ok: true };
    },
    (error: NodeJS.ErrnoException): ProbeStep => {
      if (error.code === "ECONNREFUSED") return { ok: false, reason: "connection refused", cause: "refused" };
      if (error.code === "ENOTFOUND") {
        return { ok: false, reason: `cannot resolve host ${host}`, cause: "unresolved" };
      }
      return { ok: false, reason: `connection failed: ${error.code ?? error.message}`, cause: "other" };
    },
  );
  try {
    return await Promise.race([attempt, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** Server time minus ours, measured against the middle of the request. */
function skewOf(response: Response, sentAt: number, answeredAt: number): number | undefined {
  const header = response.headers.get("date");
  const serverTime = header === null ? Number.NaN : Date.parse(header);
  if (Number.isNaN(serverTime)) return undefined;
  return Math.round((serverTime - (sentAt + answeredAt) / 2) / 1000);
}

/**
 * Probes the server step by step; a step runs only when the one before it succeeded. Throws
 * AgentKmsError "config" for an invalid URL or PEM files that do not form a usable identity
 * (check them first with inspectTlsMaterial).
 */
export async function probeServer(config: ProbeConfig): Promise<ServerProbe> {
  const { url, host, port } = endpoint(config.server);
  const timeoutMs = config.timeoutMs ?? PROBE_TIMEOUT_MS;
  const material = checkTlsFiles(readTlsFiles(config));
  const probe: ServerProbe = { reach: await connectTcp(host, port, timeoutMs) };
  if (!probe.reach.ok) {
    material.key.fill(0);
    return probe;
  }
  const session = new Bun.FetchSession({
    tls: { ca: material.ca, cert: material.cert, key: material.key, secureOptions: TLS_1_3_ONLY },
    proxy: false,
  });
  // Bun copied the key into the session's TLS context.
  material.key.fill(0);
  const context = { server: url, host, caPath: config.ca, timeoutMs };
  const headers = { "User-Agent": config.userAgent ?? "kpm/unknown" };
  const request = async (method: string, route: string) => {
    const sentAt = Date.now();
    const response = await session.fetch(url + route, {
      method,
      headers,
      redirect: "manual",
      signal: AbortSignal.timeout(timeoutMs),
    });
    const text = await response.text();
    const skew = skewOf(response, sentAt, Date.now());
    if (skew !== undefined) probe.clockSkewSeconds ??= skew;
    return { status: response.status, text };
  };
  try {
    try {
      await request("GET", "/healthz");
      probe.tls = { ok: true };
    } catch (error) {
      probe.tls = failed(error, { ...context, answeredBefore: false });
      return probe;
    }
    try {
      const answer = await request("POST", "/auth/session");
      probe.auth = authStep(answer.status, answer.text);
    } catch (error) {
      probe.auth = failed(error, { ...context, answeredBefore: true });
    }
    return probe;
  } finally {
    session.close();
  }
}

function failed(error: unknown, context: TransportContext): ProbeStep {
  return {
    ok: false,
    reason: transportReason(error, context),
    cause: transportCause(error, context.answeredBefore),
  };
}

function authStep(status: number, text: string): ProbeStep {
  if (status !== 200) {
    return { ok: false, reason: httpError("authenticate", status, text).message, cause: "http", status };
  }
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    return { ok: false, reason: "authenticate: decode response: invalid JSON", cause: "decode" };
  }
  return checkSession(body) === undefined
    ? { ok: false, reason: "authenticate: decode response: no token in the answer", cause: "decode" }
    : { ok: true };
}
