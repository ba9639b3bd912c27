// The wire between kpm and its per-user agent (docs/agent.md): NDJSON over <RuntimeDir>/agent.sock,
// several requests per connection, each answered by one line carrying its id. Checked by hand, not
// with zod: the client side runs in every warm `kpm get`, where a schema library costs milliseconds.

export const AGENT_SOCKET_NAME = "agent.sock";
export const AGENT_PID_NAME = "agent.pid";

/** The socket every side agrees on, in a runtime directory as resolveRuntimeDir gives it (normalised). */
export function agentSocketPath(runtimeDir: string): string {
  return `${runtimeDir}/${AGENT_SOCKET_NAME}`;
}
/** A request line longer than this is refused (a call's arguments are a path or a provider). */
export const MAX_LINE_BYTES = 64 * 1024;

/** The AgentKMS client calls the agent makes for kpm: reads only, each one request to the server. */
export const CALL_METHODS = [
  "fetchLLM",
  "fetchGeneric",
  "fetchRegistrySecret",
  "getMetadata",
  "listMetadata",
  "history",
] as const;
export type CallMethod = (typeof CALL_METHODS)[number];

/** Calls whose answer is a vended value, kept in the agent's memory cache (never metadata). */
export const CACHED_METHODS: ReadonlySet<CallMethod> = new Set([
  "fetchLLM",
  "fetchGeneric",
  "fetchRegistrySecret",
]);

/** Where and as whom the agent talks to AgentKMS: the four settings of config.yaml (§4.3). */
export interface ServerSettings {
  server: string;
  cert: string;
  key: string;
  ca: string;
}

export interface CallRequest {
  id: number;
  op: "call";
  settings: ServerSettings;
  /** The config file the caller read its settings from: the agent exits when it changes. */
  config?: string;
  method: CallMethod;
  args: unknown[];
}

/**
 * `kpm get <ref>` in one request (the CLI's fast path): the agent resolves the caller's config from
 * the environment variables that locate it, and answers the printable value, or `fail` for
 * anything else (the CLI then runs the whole command, which words every error).
 */
export interface GetRequest {
  id: number;
  op: "get";
  input: string;
  env: Record<string, string>;
}

export interface ControlRequest {
  id: number;
  op: "status" | "flush" | "stop";
}

export type AgentRequest = CallRequest | GetRequest | ControlRequest;

/** A request without its id: the connection assigns it (distributed over the request kinds). */
export type RequestBody = AgentRequest extends infer R ? (R extends unknown ? Omit<R, "id"> : never) : never;

/** One request as it goes over the socket, with its id: its JSON and a newline (NDJSON). */
export function requestLine(body: RequestBody, id: number): string {
  return `${JSON.stringify({ ...body, id })}\n`;
}

/** A library error as it crosses the socket: what the CLI needs to word it exactly as the direct path. */
export interface RemoteError {
  name: string;
  code: string;
  message: string;
  status?: number;
  serverCode?: string;
  notFound: boolean;
  denied: boolean;
}

/**
 * `value`: the answer; `error`: the server's (or the client library's) error, the same the direct
 * path would raise; `fail`: the agent could not serve this (stale, bad settings, internal) and the
 * caller must take the direct path.
 */
export type AgentResponse =
  | { id: number; value: unknown }
  | { id: number; error: RemoteError }
  | { id: number; fail: string };

export interface ServerStatus {
  server: string;
  /** RFC 3339, or null before the first session / when the server gave no lifetime. */
  token_expires_at: string | null;
  requests: number;
}

export interface AgentStatus {
  pid: number;
  started_at: string;
  uptime_seconds: number;
  requests: number;
  cache_entries: number;
  cache_ttl_seconds: number;
  idle_timeout_seconds: number;
  servers: ServerStatus[];
}

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === "object" && value !== null && !Array.isArray(value);

function parseSettings(value: unknown): ServerSettings | null {
  if (!isRecord(value)) return null;
  const { server, cert, key, ca } = value;
  if (
    typeof server !== "string" ||
    typeof cert !== "string" ||
    typeof key !== "string" ||
    typeof ca !== "string"
  )
    return null;
  return { server, cert, key, ca };
}

/** A JSON object with a safe-integer id (every request and response line), or null. */
function parseMessage(line: string): Record<string, unknown> | null {
  let parsed: unknown;
  try {
    parsed = JSON.parse(line);
  } catch {
    return null;
  }
  return isRecord(parsed) && Number.isSafeInteger(parsed.id) ? parsed : null;
}

/** A request line as the agent accepts it, or null. */
export function parseRequest(line: string): AgentRequest | null {
  const parsed = parseMessage(line);
  if (parsed === null) return null;
  const id = parsed.id as number;
  const { op } = parsed;
  if (op === "status" || op === "flush" || op === "stop") return { id, op };
  if (op === "get") {
    const { input, env } = parsed;
    if (typeof input !== "string" || !isRecord(env)) return null;
    if (!Object.values(env).every((value) => typeof value === "string")) return null;
    return { id, op, input, env: env as Record<string, string> };
  }
  if (op !== "call") return null;
  const settings = parseSettings(parsed.settings);
  const { method, args, config } = parsed;
  if (settings === null || typeof method !== "string" || !Array.isArray(args)) return null;
  if (!(CALL_METHODS as readonly string[]).includes(method)) return null;
  if (config !== undefined && typeof config !== "string") return null;
  const request: CallRequest = { id, op, settings, method: method as CallMethod, args };
  if (typeof config === "string") request.config = config;
  return request;
}

function parseRemoteError(value: unknown): RemoteError | null {
  if (!isRecord(value)) return null;
  const { name, code, message, status, serverCode, notFound, denied } = value;
  if (typeof name !== "string" || typeof code !== "string" || typeof message !== "string") return null;
  const error: RemoteError = { name, code, message, notFound: notFound === true, denied: denied === true };
  if (typeof status === "number") error.status = status;
  if (typeof serverCode === "string") error.serverCode = serverCode;
  return error;
}

/** A response line as the client accepts it, or null. */
export function parseResponse(line: string): AgentResponse | null {
  const parsed = parseMessage(line);
  if (parsed === null) return null;
  const id = parsed.id as number;
  if (typeof parsed.fail === "string") return { id, fail: parsed.fail };
  if ("error" in parsed) {
    const error = parseRemoteError(parsed.error);
    return error === null ? null : { id, error };
  }
  if ("value" in parsed) return { id, value: parsed.value };
  return null;
}

/** An error thrown by a client call, for the wire; null for one that is not a library error. */
export function toRemoteError(error: unknown): RemoteError | null {
  if (!(error instanceof Error)) return null;
  const fields = error as Error & Partial<Omit<RemoteError, "name" | "message">>;
  if (typeof fields.code !== "string") return null;
  const remote: RemoteError = {
    name: error.name,
    code: fields.code,
    message: error.message,
    notFound: fields.notFound === true,
    denied: fields.denied === true,
  };
  if (typeof fields.status === "number") remote.status = fields.status;
  if (typeof fields.serverCode === "string") remote.serverCode = fields.serverCode;
  return remote;
}
