// The AgentKMS mTLS client (kpm-cli.md §6.1, §6.5, §11.7): one keep-alive TLS 1.3 session, lazy
// single-flight authentication with one re-auth on 401, at most 8 requests in flight, no redirects.
import type * as z from "zod/mini";
import { AgentKmsError } from "./errors.ts";
import { httpError, redirectError } from "./http-error.ts";
import {
  type MetadataUpdate,
  metadataUpdateBody,
  type SecretMetadata,
  toSecretMetadata,
} from "./metadata.ts";
import { encodePath, validatePath } from "./path.ts";
import { Semaphore } from "./semaphore.ts";
import { caCertificateBlocks, checkTlsFiles, readTlsFiles } from "./tls-material.ts";
import { isUnreachable, transportError } from "./transport-error.ts";

type Schemas = typeof import("./schemas.ts");

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
   * Start authenticating while the client is built, for callers whose next step is an API call:
   * the TLS handshake then runs (on Bun's HTTP thread) while the PEM files are checked. A failed
   * check aborts that request and throws as usual, and a bad PEM never reaches the server.
   */
  authenticateEarly?: boolean;
  /**
   * Requests in flight at once (spec §6.1: at most 8). Default: 8, or 1 for a loopback server,
   * where a request costs less than the TLS handshake of the extra connection that running it
   * in parallel would open; sequential requests share one kept-alive connection.
   */
  maxInFlight?: number;
}

export interface HistoryEntry {
  version: number;
  created?: string;
  caller?: string;
}

export interface SecretHistory {
  path: string;
  versions: HistoryEntry[] | null;
}

export interface AgentKmsClient {
  fetchLLM(provider: string): Promise<{ provider: string; api_key?: string }>;
  fetchGeneric(path: string): Promise<Record<string, string>>;
  fetchRegistrySecret(path: string): Promise<Record<string, string>>;
  writeSecret(path: string, fields: Record<string, string>): Promise<SecretMetadata>;
  writeMetadata(path: string, metadata: MetadataUpdate): Promise<SecretMetadata>;
  getMetadata(path: string): Promise<SecretMetadata | null>;
  listMetadata(options?: { includeDeleted?: boolean }): Promise<SecretMetadata[]>;
  history(path: string): Promise<SecretHistory>;
  deleteSecret(path: string, options?: { purge?: boolean }): Promise<void>;
  /** true on 200; false when the server answers otherwise, refuses, or is too slow; throws on TLS faults. */
  healthz(): Promise<boolean>;
  /** Creates a new session now (joining one already in flight); `kpm env --strict` uses it to check config. */
  authenticate(): Promise<void>;
  /** Closes idle connections. */
  close(): void;
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

/**
 * SSL_OP_NO_TLSv1 | SSL_OP_NO_TLSv1_1 | SSL_OP_NO_TLSv1_2 (BoringSSL's values, checked against
 * node:crypto's constants by a test): importing node:crypto for three numbers costs ~2 ms of startup.
 */
export const TLS_1_3_ONLY = 0x04000000 | 0x10000000 | 0x08000000;

interface Call {
  op: string;
  method: "GET" | "POST" | "DELETE";
  /** Route plus encoded path and fixed query, e.g. `/metadata?include_deleted=true`. */
  route: string;
  body?: Uint8Array;
  /** Statuses that count as success. */
  ok: readonly number[];
  /** Answer status 0 instead of throwing when nothing listens or nothing answers (health probes). */
  unreachableIsAnswer?: boolean;
  /** Aborts the request besides its timeout (the early authentication when the PEM check fails). */
  cancel?: AbortSignal;
}

interface Answer {
  status: number;
  text: string;
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

function jsonBody(value: unknown): Uint8Array {
  return new TextEncoder().encode(JSON.stringify(value));
}

export function createClient(config: ClientConfig): AgentKmsClient {
  const server = normalizeServer(config.server);
  const files = readTlsFiles(config);
  const host = new URL(server).hostname;
  const timeoutMs = config.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const userAgent = config.userAgent ?? DEFAULT_USER_AGENT;
  const openSession = (ca: string) =>
    new Bun.FetchSession({
      tls: { ca, cert: files.certPem, key: files.key, secureOptions: TLS_1_3_ONLY },
      proxy: false,
    });
  // zod is loaded once the first request is on its way, so that loading it overlaps with the TLS
  // handshake instead of delaying it (the import runs on this thread, the handshake on Bun's HTTP thread).
  let schemas: Promise<Schemas> | undefined;
  const loadSchemas = (): Promise<Schemas> => {
    schemas ??= import("./schemas.ts");
    return schemas;
  };
  const slots = new Semaphore(
    Math.min(MAX_IN_FLIGHT, Math.max(1, config.maxInFlight ?? defaultMaxInFlight(host))),
  );
  let answeredBefore = false;
  let token: string | undefined;
  let authInFlight: Promise<string> | undefined;
  /** The authentication started by authenticateEarly, joined by the first call that needs a session. */
  let earlySession: Promise<string> | undefined;

  async function send(call: Call, bearer?: string): Promise<Answer> {
    const headers: Record<string, string> = { "User-Agent": userAgent };
    if (bearer !== undefined) headers.Authorization = `Bearer ${bearer}`;
    if (call.body !== undefined) headers["Content-Type"] = "application/json";
    // No await when a slot is free: the request must leave before createClient's PEM check runs.
    const release = slots.tryAcquire() ?? (await slots.acquire());
    let answer: Answer;
    try {
      const timeout = AbortSignal.timeout(timeoutMs);
      const pending = session.fetch(server + call.route, {
        method: call.method,
        headers,
        body: call.body,
        redirect: "manual",
        signal: call.cancel ? AbortSignal.any([timeout, call.cancel]) : timeout,
      });
      loadSchemas().catch(() => {});
      const response = await pending;
      answer = { status: response.status, text: await response.text() };
      answeredBefore = true;
    } catch (error) {
      if (call.unreachableIsAnswer && isUnreachable(error)) return { status: 0, text: "" };
      throw transportError(call.op, error, { server, host, caPath: config.ca, timeoutMs, answeredBefore });
    } finally {
      release();
    }
    if (answer.status >= 300 && answer.status < 400) throw redirectError(call.op, answer.status);
    return answer;
  }

  async function decode<T>(op: string, text: string, pick: (all: Schemas) => z.ZodMiniType<T>): Promise<T> {
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      // The parser's message can quote the body, which may hold a secret.
      throw new AgentKmsError("decode", `${op}: decode response: invalid JSON`);
    }
    const all = await loadSchemas();
    const result = pick(all).safeParse(parsed);
    if (!result.success) {
      throw new AgentKmsError("decode", `${op}: decode response: ${all.describeIssue(result.error)}`);
    }
    return result.data;
  }

  function startSession(cancel?: AbortSignal): Promise<string> {
    if (earlySession !== undefined) {
      const early = earlySession;
      earlySession = undefined;
      return early;
    }
    if (authInFlight !== undefined) return authInFlight;
    const attempt: Promise<string> = (async () => {
      const call: Call = { op: "authenticate", method: "POST", route: "/auth/session", ok: [200], cancel };
      const answer = await send(call);
      if (answer.status !== 200) throw httpError(call.op, answer.status, answer.text);
      const created = await decode(call.op, answer.text, (all) => all.sessionSchema);
      token = created.token;
      return created.token;
    })().finally(() => {
      // An abandoned early attempt must not clear the attempt that replaced it.
      if (authInFlight === attempt) authInFlight = undefined;
    });
    authInFlight = attempt;
    return attempt;
  }

  async function api(call: Call): Promise<Answer> {
    const first = token ?? (await startSession());
    let answer = await send(call, first);
    if (answer.status === 401) {
      // Tokens expire (15 min) and die with a server restart: renew once, unless another call already did.
      const renewed = token !== undefined && token !== first ? token : await startSession();
      answer = await send(call, renewed);
    }
    if (!call.ok.includes(answer.status)) throw httpError(call.op, answer.status, answer.text);
    return answer;
  }

  async function getMetadata(path: string): Promise<SecretMetadata | null> {
    const op = "request";
    try {
      const answer = await api({ op, method: "GET", route: `/metadata/${encodePath(path)}`, ok: [200] });
      return toSecretMetadata(await decode(op, answer.text, (all) => all.metadataSchema));
    } catch (error) {
      if (error instanceof AgentKmsError && error.notFound) return null;
      throw error;
    }
  }

  // Bun copies the PEMs here but parses them only when the first connection opens, so a request
  // can leave before the check below; with a bad PEM that connection fails before sending anything.
  const blocks = caCertificateBlocks(files.caPem);
  let session = openSession(blocks);
  const early = config.authenticateEarly ? new AbortController() : undefined;
  if (early) {
    earlySession = startSession(early.signal);
    earlySession.catch(() => {});
  }
  let material: ReturnType<typeof checkTlsFiles>;
  try {
    material = checkTlsFiles(files);
  } catch (error) {
    early?.abort();
    session.close();
    throw error;
  }
  if (material.ca !== blocks) {
    // Some CA blocks did not parse: trust only those that did, as the check does (Bun refuses the whole file).
    early?.abort();
    session.close();
    earlySession = undefined;
    authInFlight = undefined;
    session = openSession(material.ca);
    if (early) {
      earlySession = startSession();
      earlySession.catch(() => {});
    }
  }
  // Bun copied the key into the session's TLS context; this copy is no longer needed.
  files.key.fill(0);

  return {
    async fetchLLM(provider) {
      const op = `fetch LLM ${provider}`;
      const reason = validatePath(provider);
      if (reason !== null) {
        throw new AgentKmsError("invalid_path", `invalid path ${JSON.stringify(provider)}: ${reason}`);
      }
      // One segment: the route takes a single `{provider}`.
      const answer = await api({
        op,
        method: "GET",
        route: `/credentials/llm/${encodeURIComponent(provider)}`,
        ok: [200],
      });
      return decode(op, answer.text, (all) => all.llmCredentialSchema);
    },

    async fetchGeneric(path) {
      const op = `fetch generic/${path}`;
      const answer = await api({
        op,
        method: "GET",
        route: `/credentials/generic/${encodePath(path)}`,
        ok: [200],
      });
      return (await decode(op, answer.text, (all) => all.genericCredentialSchema)).secrets;
    },

    async fetchRegistrySecret(path) {
      const op = `fetch ${path}`;
      let answer: Answer;
      try {
        answer = await api({ op, method: "GET", route: `/secrets/${encodePath(path)}`, ok: [200] });
      } catch (error) {
        if (error instanceof AgentKmsError && error.notFound) {
          // Kept from kpm v0.2.1 (kpm-cli.md §6.5).
          throw new AgentKmsError("http", `secret not found: ${path}`, {
            status: 404,
            notFound: true,
            ...(error.serverCode !== undefined ? { serverCode: error.serverCode } : {}),
          });
        }
        throw error;
      }
      return decode(op, answer.text, (all) => all.secretFieldsSchema);
    },

    async writeSecret(path, fields) {
      const op = `write ${path}`;
      const route = `/secrets/${encodePath(path)}`;
      const body = jsonBody(fields);
      try {
        const answer = await api({ op, method: "POST", route, body, ok: [200, 201] });
        return toSecretMetadata(await decode(op, answer.text, (all) => all.metadataSchema));
      } finally {
        body.fill(0);
      }
    },

    async writeMetadata(path, metadata) {
      const op = "request";
      const route = `/metadata/${encodePath(path)}`;
      const body = jsonBody(metadataUpdateBody(metadata));
      const answer = await api({ op, method: "POST", route, body, ok: [200, 201] });
      return toSecretMetadata(await decode(op, answer.text, (all) => all.metadataSchema));
    },

    getMetadata,

    async listMetadata(options = {}) {
      const op = "request";
      const route = options.includeDeleted ? "/metadata?include_deleted=true" : "/metadata";
      const answer = await api({ op, method: "GET", route, ok: [200] });
      return (await decode(op, answer.text, (all) => all.metadataListSchema)).secrets.map(toSecretMetadata);
    },

    async history(path) {
      const op = "request";
      const route = `/secrets/${encodePath(path)}?action=history`;
      const answer = await api({ op, method: "GET", route, ok: [200] });
      return decode(op, answer.text, (all) => all.historySchema);
    },

    async deleteSecret(path, options = {}) {
      const route = `/secrets/${encodePath(path)}${options.purge ? "?purge=true" : ""}`;
      await api({ op: "request", method: "DELETE", route, ok: [200, 204] });
    },

    async healthz() {
      // "Not up yet" is an answer for a health probe; a TLS fault or a redirect is not.
      const call: Call = {
        op: "health check",
        method: "GET",
        route: "/healthz",
        ok: [200],
        unreachableIsAnswer: true,
      };
      return (await send(call)).status === 200;
    },

    async authenticate() {
      await startSession();
    },

    close() {
      session.close();
    },
  };
}
