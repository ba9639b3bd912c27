// The AgentKMS mTLS client (kpm-cli.md §6.1, §6.5, §11.7), assembled from its parts: the transport
// (one keep-alive TLS 1.3 session, at most 8 requests in flight, no redirects), the session token
// (lazy, single flight, one re-auth on 401) and the API endpoints.
import { type AgentKmsEndpoints, createEndpoints } from "./endpoints.ts";
import { AgentKmsError } from "./errors.ts";
import { SessionAuth } from "./session-auth.ts";
import { readTlsFiles } from "./tls-material.ts";
import { Transport } from "./transport.ts";

export interface ClientConfig {
  /** Base URL, `https://…`; one trailing "/" is removed. */
  server: string;
  /** Paths to PEM files. */
  cert: string;
  key: string;
  ca: string;
  /** Per-request timeout; 10 s by default. */
  timeoutMs?: number;
  /** `kpm/<version>`; the CLI passes its own version. */
  userAgent?: string;
  /**
   * Requests in flight at once (spec §6.1: at most 8). Default: 8, or 1 for a loopback server,
   * where a request costs less than the TLS handshake of the extra connection that running it
   * in parallel would open; sequential requests share one kept-alive connection.
   */
  maxInFlight?: number;
}

export interface AgentKmsClient extends AgentKmsEndpoints {
  /** Creates a new session now (joining one already in flight); `kpm env --strict` uses it to check config. */
  authenticate(): Promise<void>;
  /** Closes idle connections. */
  close(): void;
  /** When the current session token expires (ms since the epoch), or null before a session / when unknown. */
  sessionExpiresAt?(): number | null;
}

export const DEFAULT_TIMEOUT_MS = 10_000;
export const DEFAULT_USER_AGENT = "kpm/unknown";
export const MAX_IN_FLIGHT = 8;

/** The default in-flight limit for a server host (see ClientConfig.maxInFlight). */
export function defaultMaxInFlight(hostname: string): number {
  const host = hostname.replace(/^\[(.*)\]$/, "$1").toLowerCase();
  const loopback = host === "localhost" || host === "::1" || /^127\.\d+\.\d+\.\d+$/.test(host);
  return loopback ? 1 : MAX_IN_FLIGHT;
}

function normalizeServer(server: string): string {
  if (!server.startsWith("https://")) {
    throw new AgentKmsError("config", `server URL must start with https:// (got ${JSON.stringify(server)})`);
  }
  const trimmed = server.endsWith("/") ? server.slice(0, -1) : server;
  if (!URL.canParse(trimmed)) {
    throw new AgentKmsError("config", `invalid server URL ${JSON.stringify(server)}`);
  }
  return trimmed;
}

/** Builds a client; the PEM files are read and checked now, and nothing is sent until the first call. */
export function createClient(config: ClientConfig): AgentKmsClient {
  return buildClient(config, "now").client;
}

/**
 * Builds a client and authenticates at once, for callers whose next step is an API call. The PEM
 * files are read now but checked by using them: a completed TLS handshake proves them usable, so
 * createClient's node:crypto check (~2 ms of startup, spec §6.1) runs only when the first connection
 * fails. Resolves once the first request has an answer, or has failed for a reason that is not the
 * files'; rejects with createClient's exact errors when they are bad. A bad PEM never reaches the
 * server (its handshake fails), and an authentication failure is not a rejection: the first call
 * reports it, as it would without the early start.
 */
export async function openClient(config: ClientConfig): Promise<AgentKmsClient> {
  const { client, filesChecked } = buildClient(config, "on-failure");
  try {
    await filesChecked;
  } catch (error) {
    client.close();
    throw error;
  }
  return client;
}

function buildClient(
  config: ClientConfig,
  check: "now" | "on-failure",
): { client: AgentKmsClient; filesChecked: Promise<void> } {
  const server = normalizeServer(config.server);
  const files = readTlsFiles(config);
  const host = new URL(server).hostname;
  const transport = new Transport({
    server,
    host,
    caPath: config.ca,
    timeoutMs: config.timeoutMs ?? DEFAULT_TIMEOUT_MS,
    userAgent: config.userAgent ?? DEFAULT_USER_AGENT,
    maxInFlight: Math.min(MAX_IN_FLIGHT, Math.max(1, config.maxInFlight ?? defaultMaxInFlight(host))),
    files,
    check,
  });
  const auth = new SessionAuth(transport);
  if (check === "on-failure") auth.startEarly();
  const client: AgentKmsClient = {
    ...createEndpoints(auth, transport),
    async authenticate() {
      await auth.start();
    },
    close() {
      transport.close();
    },
    sessionExpiresAt() {
      return auth.expiresAt ?? null;
    },
  };
  return { client, filesChecked: transport.filesChecked };
}
