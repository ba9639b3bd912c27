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
import { listedMetadata } from "./metadata-list-check.ts";
import { encodePath, validatePath } from "./path.ts";
import {
  checkGenericCredential,
  checkLlmCredential,
  checkSession,
  checkStringMap,
} from "./response-checks.ts";
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
  const timeoutMs = config.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const userAgent = config.userAgent ?? DEFAULT_USER_AGENT;
  const openSession = (ca: string) =>
    new Bun.FetchSession({
      tls: { ca, cert: files.certPem, key: files.key, secureOptions: TLS_1_3_ONLY },
      proxy: false,
    });
  // zod is loaded only for a body its fast check declines (response-checks.ts,
  // metadata-list-check.ts): on the usual path it is never evaluated at all.
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
  /** The authentication openClient started, joined by the first call that needs a session. */
  let earlySession: Promise<string> | undefined;

  // The trust anchors: every certificate block of the CA file, or after a failed connection only the
  // blocks that parse (as Go's AppendCertsFromPEM keeps them; Bun refuses a file with a bad block).
  let trusted = caCertificateBlocks(files.caPem);
  const checked = Promise.withResolvers<void>();
  checked.promise.catch(() => {});
  let filesUsable = false;
  /** The files are good: Bun holds its own copy of the key in the session's TLS context. */
  const markUsable = () => {
    if (filesUsable) return;
    filesUsable = true;
    files.key.fill(0);
    checked.resolve();
  };
  let failureCheck: Promise<void> | undefined;
  /** After a failed connection: the §4.3 error when the files are bad, else a session on the parsable CA blocks. */
  const checkAfterFailure = (): Promise<void> => {
    failureCheck ??= (async () => {
      let material: ReturnType<typeof checkTlsFiles>;
      try {
        material = checkTlsFiles(files);
      } catch (error) {
        checked.reject(error);
        throw error;
      }
      if (material.ca !== trusted) {
        trusted = material.ca;
        session.close();
        session = openSession(trusted);
      }
      markUsable();
    })();
    return failureCheck;
  };

  async function send(call: Call, bearer?: string): Promise<Answer> {
    const headers: Record<string, string> = { "User-Agent": userAgent };
    if (bearer !== undefined) headers.Authorization = `Bearer ${bearer}`;
    if (call.body !== undefined) headers["Content-Type"] = "application/json";
    const used = session;
    let answer: Answer | undefined;
    let failure: unknown;
    // No await when a slot is free: openClient's first request leaves before it returns.
    const release = slots.tryAcquire() ?? (await slots.acquire());
    try {
      const response = await used.fetch(server + call.route, {
        method: call.method,
        headers,
        body: call.body,
        redirect: "manual",
        signal: AbortSignal.timeout(timeoutMs),
      });
      answer = { status: response.status, text: await response.text() };
      answeredBefore = true;
    } catch (error) {
      failure = error;
    } finally {
      release();
    }
    if (answer === undefined) {
      if (!filesUsable) {
        await checkAfterFailure();
        // Rebuilt on the CA blocks that parse: the failed attempt never got past its handshake.
        if (session !== used) return send(call, bearer);
      }
      if (call.unreachableIsAnswer && isUnreachable(failure)) return { status: 0, text: "" };
      throw transportError(call.op, failure, { server, host, caPath: config.ca, timeoutMs, answeredBefore });
    }
    markUsable();
    if (answer.status >= 300 && answer.status < 400) throw redirectError(call.op, answer.status);
    return answer;
  }

  /** The body as JSON; the parser's message can quote the body, which may hold a secret. */
  function parseBody(op: string, text: string): unknown {
    try {
      return JSON.parse(text);
    } catch {
      throw new AgentKmsError("decode", `${op}: decode response: invalid JSON`);
    }
  }

  /** The schema's verdict on a parsed body: its output, or the decode error naming the field. */
  async function validate<T>(
    op: string,
    parsed: unknown,
    pick: (all: Schemas) => z.ZodMiniType<T>,
  ): Promise<T> {
    const all = await loadSchemas();
    const result = pick(all).safeParse(parsed);
    if (!result.success) {
      throw new AgentKmsError("decode", `${op}: decode response: ${all.describeIssue(result.error)}`);
    }
    return result.data;
  }

  /** A body through its fast check, or through its zod schema when the check declines. */
  async function decode<T>(
    op: string,
    text: string,
    pick: (all: Schemas) => z.ZodMiniType<T>,
    fast?: (parsed: unknown) => T | undefined,
  ): Promise<T> {
    const parsed = parseBody(op, text);
    const checked = fast?.(parsed);
    return checked !== undefined ? checked : validate(op, parsed, pick);
  }

  function startSession(): Promise<string> {
    if (earlySession !== undefined) {
      const early = earlySession;
      earlySession = undefined;
      return early;
    }
    if (authInFlight !== undefined) return authInFlight;
    const attempt: Promise<string> = (async () => {
      const call: Call = { op: "authenticate", method: "POST", route: "/auth/session", ok: [200] };
      const answer = await send(call);
      if (answer.status !== 200) throw httpError(call.op, answer.status, answer.text);
      const created = await decode(call.op, answer.text, (all) => all.sessionSchema, checkSession);
      token = created.token;
      return created.token;
    })().finally(() => {
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

  // A file without a single certificate block is refused before any session exists: an empty CA
  // list must never reach the TLS layer, whatever it would make of it.
  if (check === "now" || trusted === "") {
    const material = checkTlsFiles(files);
    trusted = material.ca;
  }
  // Bun copies the PEMs here and parses them when the first connection opens.
  let session = openSession(trusted);
  if (check === "now") {
    markUsable();
  } else {
    earlySession = startSession();
    earlySession.catch(() => {});
  }

  const client: AgentKmsClient = {
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
      return decode(op, answer.text, (all) => all.llmCredentialSchema, checkLlmCredential);
    },

    async fetchGeneric(path) {
      const op = `fetch generic/${path}`;
      const answer = await api({
        op,
        method: "GET",
        route: `/credentials/generic/${encodePath(path)}`,
        ok: [200],
      });
      return (await decode(op, answer.text, (all) => all.genericCredentialSchema, checkGenericCredential))
        .secrets;
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
      return decode(op, answer.text, (all) => all.secretFieldsSchema, checkStringMap);
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
      const parsed = parseBody(op, answer.text);
      return (
        listedMetadata(parsed) ??
        (await validate(op, parsed, (all) => all.metadataListSchema)).secrets.map(toSecretMetadata)
      );
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
      if (!filesUsable) files.key.fill(0);
    },
  };
  return { client, filesChecked: checked.promise };
}
