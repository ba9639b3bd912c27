// Request handling of the dev server: Go ServeMux routing (clean-path and trailing-slash redirects,
// 404/405), bearer tokens, path validation, policy, then the AgentKMS handlers (wire §1–§7, cli §15.3).
import { createHash, randomUUID } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";
import type { TLSSocket } from "node:tls";
import { secretValueProblem } from "@kpm/agentkms-client";
import { type AuditEventInput, type AuditLog, formatRfc3339Nano } from "./audit.ts";
import { type Identity, identityFromCertificate, type PeerCertificateLike } from "./identity.ts";
import { decodeMetadataBody, decodeSecretBody } from "./json-body.ts";
import { evaluate, type Policy } from "./policy.ts";
import type { VendRateLimiter } from "./ratelimit.ts";
import {
  canonicalFields,
  GENERIC_PREFIX,
  getMetadata,
  LLM_PREFIX,
  listMetadata,
  mergeMetadata,
  pathProblem,
  purgeSecret,
  readSecret,
  registryTimestamp,
  secretHistory,
  softDelete,
  sortedObject,
  trimSlashes,
  writeSecret,
} from "./registry.ts";
import type { KV } from "./store.ts";
import type { TokenClaims, TokenService } from "./token.ts";

export type LogLevel = "INFO" | "WARN" | "ERROR";
export type LogFn = (level: LogLevel, msg: string, attrs?: Record<string, string | number>) => void;

/** The store as the routes use it: a cheap synchronous read and a locked, atomic update. */
export interface RouteStore {
  read(): KV;
  update<T>(mutate: (kv: KV) => T): Promise<T>;
}

export interface RouteDeps {
  tokens: TokenService;
  policy: Policy;
  audit: AuditLog;
  store: RouteStore;
  limiter: VendRateLimiter;
  log: LogFn;
  now?: () => Date;
}

export const SUPPORTED_PROVIDERS = [
  "anthropic",
  "openai",
  "google",
  "azure",
  "bedrock",
  "mistral",
  "groq",
  "xai",
];
export const BODY_LIMIT = 1 << 20;
const VEND_TTL_SECONDS = 3600;
const AUTH_TAGS = ["soc2", "iso27001"];
const LLM_TAGS = ["soc2", "pci-dss", "iso27001"];

// ---- Go ServeMux path handling -------------------------------------------------------------------

/** Go's path.Clean. */
export function cleanGoPath(path: string): string {
  if (path === "") return ".";
  const rooted = path.startsWith("/");
  const out: string[] = [];
  for (const segment of path.split("/")) {
    if (segment === "" || segment === ".") continue;
    if (segment === "..") {
      if (out.length > 0 && out[out.length - 1] !== "..") out.pop();
      else if (!rooted) out.push("..");
    } else out.push(segment);
  }
  const joined = out.join("/");
  if (rooted) return `/${joined}`;
  return joined === "" ? "." : joined;
}

/** net/http's cleanPath: rooted, cleaned, trailing slash kept. */
export function cleanRequestPath(path: string): string {
  if (path === "") return "/";
  const rooted = path.startsWith("/") ? path : `/${path}`;
  let cleaned = cleanGoPath(rooted);
  if (rooted.endsWith("/") && cleaned !== "/") cleaned += "/";
  return cleaned;
}

type Handler = (ctx: RequestContext) => Promise<Reply> | Reply;

interface Route {
  method: string;
  literals: string[];
  wildcard: "none" | "single" | "multi";
  handler: Handler;
}

function route(method: string, pattern: string, handler: Handler): Route {
  const segments = pattern.slice(1).split("/");
  const last = segments[segments.length - 1] ?? "";
  const wildcard = last.endsWith("...}") ? "multi" : last.startsWith("{") ? "single" : "none";
  return { method, literals: wildcard === "none" ? segments : segments.slice(0, -1), wildcard, handler };
}

function unescapePath(text: string): string | null {
  try {
    return decodeURIComponent(text);
  } catch {
    return null;
  }
}

/** The wildcard value (percent-decoded) when `escapedPath` matches the route's pattern, else null. */
function matchPattern(r: Route, escapedPath: string): string | null {
  const segments = escapedPath.slice(1).split("/");
  for (let i = 0; i < r.literals.length; i++) {
    const segment = segments[i];
    if (segment === undefined || unescapePath(segment) !== r.literals[i]) return null;
  }
  const rest = segments.slice(r.literals.length);
  if (r.wildcard === "none") return rest.length === 0 ? "" : null;
  if (r.wildcard === "single") {
    if (rest.length !== 1 || rest[0] === "") return null;
    return unescapePath(rest[0] as string);
  }
  if (rest.length === 0) return null;
  return unescapePath(rest.join("/"));
}

/** Go's exactMatch: a multi wildcard only matches "exactly" when it captured nothing. */
function isExactMatch(r: Route, escapedPath: string): boolean {
  if (r.wildcard !== "multi") return true;
  if (!escapedPath.endsWith("/")) return false;
  return r.literals.length + 1 === escapedPath.split("/").length - 1;
}

function methodMatches(r: Route, method: string): boolean {
  return r.method === method || (r.method === "GET" && method === "HEAD");
}

type MuxResult =
  | { kind: "route"; route: Route; value: string }
  | { kind: "redirect"; location: string }
  | { kind: "notAllowed"; allow: string }
  | { kind: "notFound" };

function findRoute(routes: Route[], method: string, path: string): { route: Route; value: string } | null {
  for (const r of routes) {
    if (!methodMatches(r, method)) continue;
    const value = matchPattern(r, path);
    if (value !== null) return { route: r, value };
  }
  return null;
}

function muxRoute(routes: Route[], method: string, path: string, rawQuery: string): MuxResult {
  const found = findRoute(routes, method, path);
  if (!(found && isExactMatch(found.route, path)) && !path.endsWith("/")) {
    const withSlash = findRoute(routes, method, `${path}/`);
    if (withSlash && isExactMatch(withSlash.route, `${path}/`)) {
      return { kind: "redirect", location: `${path}/${rawQuery ? `?${rawQuery}` : ""}` };
    }
  }
  if (found) return { kind: "route", ...found };
  const methods = new Set<string>();
  for (const r of routes) {
    if (matchPattern(r, path) !== null || (!path.endsWith("/") && matchPattern(r, `${path}/`) !== null)) {
      methods.add(r.method);
      if (r.method === "GET") methods.add("HEAD");
    }
  }
  if (methods.size > 0) return { kind: "notAllowed", allow: [...methods].sort().join(", ") };
  return { kind: "notFound" };
}

// ---- responses -----------------------------------------------------------------------------------

interface Reply {
  status: number;
  /** JSON body (a newline is appended, as Go's encoder does); undefined for an empty body. */
  body?: unknown;
  /** The body already serialized (goJson plus newline); wins over `body`. */
  json?: string;
  /** The one audit event of this request; undefined only for routes AgentKMS does not audit. */
  event?: Omit<AuditEventInput, "caller_id" | "team_id"> &
    Partial<Pick<AuditEventInput, "caller_id" | "team_id">>;
}

/** JSON as Go's encoder with SetEscapeHTML(false) writes it: `<>&` raw, U+2028/2029 escaped. */
export function goJson(value: unknown): string {
  return JSON.stringify(value).replace(/[\u2028\u2029]/g, (c) => `\\u${c.charCodeAt(0).toString(16)}`);
}

function sendText(
  res: ServerResponse,
  status: number,
  body: string,
  headers: Record<string, string> = {},
): void {
  res.writeHead(status, {
    ...headers,
    "Content-Type": "text/plain; charset=utf-8",
    "X-Content-Type-Options": "nosniff",
    "Content-Length": String(Buffer.byteLength(body)),
  });
  res.end(body);
}

function sendJson(res: ServerResponse, status: number, text: string): void {
  res.writeHead(status, {
    "Content-Type": "application/json",
    "Content-Length": String(Buffer.byteLength(text)),
  });
  res.end(text);
}

function sendRedirect(req: IncomingMessage, res: ServerResponse, location: string): void {
  // http.Redirect: GET and HEAD get a tiny HTML body; other methods none. 307 keeps the method.
  if (req.method === "GET" || req.method === "HEAD") {
    const escaped = location.replace(
      /[&<>"']/g,
      (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&#34;", "'": "&#39;" })[c] ?? c,
    );
    const body = `<a href="${escaped}">Temporary Redirect</a>.\n\n`;
    res.writeHead(307, {
      Location: location,
      "Content-Type": "text/html; charset=utf-8",
      "Content-Length": String(Buffer.byteLength(body)),
    });
    res.end(body);
    return;
  }
  res.writeHead(307, { Location: location, "Content-Length": "0" });
  res.end();
}

function apiError(status: number, error: string, code: string): { status: number; body: unknown } {
  return { status, body: { error, code } };
}

const INTERNAL = { error: "internal error", code: "internal_error" };

// ---- request context -----------------------------------------------------------------------------

interface Caller {
  callerId: string;
  teamId: string;
  role: string;
  certFingerprint: string;
}

interface RequestContext {
  req: IncomingMessage;
  caller: Caller;
  value: string;
  query: URLSearchParams;
  deps: RouteDeps;
  now: Date;
}

function sourceIp(req: IncomingMessage): string {
  const address = req.socket.remoteAddress ?? "";
  return address.startsWith("::ffff:") ? address.slice(7) : address;
}

const peerIdentities = new WeakMap<object, { fingerprint: string; identity: Identity | null } | null>();

/** The verified peer certificate's identity and fingerprint, computed once per connection. */
function peerOf(req: IncomingMessage): { fingerprint: string; identity: Identity | null; cn: string } | null {
  const socket = req.socket as Partial<TLSSocket>;
  if (typeof socket.getPeerCertificate !== "function") return null;
  const cert = socket.getPeerCertificate(true) as PeerCertificateLike | null;
  if (!cert?.raw || cert.raw.length === 0) return null;
  const cn = cert.subject?.["CN"];
  const commonName = (Array.isArray(cn) ? cn[0] : cn) ?? "";
  let cached = peerIdentities.get(socket);
  if (!cached) {
    const identity = identityFromCertificate(cert);
    cached = {
      identity,
      fingerprint: identity?.certFingerprint ?? createHash("sha256").update(cert.raw).digest("hex"),
    };
    peerIdentities.set(socket, cached);
  }
  return { ...cached, cn: commonName.trim() };
}

const strictUtf8 = new TextDecoder("utf-8", { fatal: true });

/** The body as text, and whether it was valid UTF-8 (Go's decoder, like ours, substitutes U+FFFD). */
async function readBody(req: IncomingMessage): Promise<{ text: string; utf8: boolean } | null> {
  const chunks: Buffer[] = [];
  let size = 0;
  let tooLarge = false;
  for await (const chunk of req) {
    const buffer = chunk as Buffer;
    size += buffer.length;
    // Past the limit the rest is drained, not kept, so the client still reads our 400.
    if (size > BODY_LIMIT) tooLarge = true;
    else chunks.push(buffer);
  }
  if (tooLarge) return null;
  const bytes = Buffer.concat(chunks);
  try {
    return { text: strictUtf8.decode(bytes), utf8: true };
  } catch {
    return { text: new TextDecoder().decode(bytes), utf8: false };
  }
}

function auditBase(
  ctx: RequestContext,
): Pick<
  AuditEventInput,
  "caller_id" | "team_id" | "source_ip" | "user_agent" | "cert_fingerprint" | "caller_role"
> {
  return {
    caller_id: ctx.caller.callerId,
    team_id: ctx.caller.teamId,
    source_ip: sourceIp(ctx.req),
    user_agent: ctx.req.headers["user-agent"] ?? "",
    cert_fingerprint: ctx.caller.certFingerprint,
    caller_role: ctx.caller.role,
  };
}

function decide(ctx: RequestContext, operation: string, keyId: string) {
  return evaluate(
    ctx.deps.policy,
    { callerId: ctx.caller.callerId, teamId: ctx.caller.teamId, role: ctx.caller.role },
    operation,
    keyId,
    ctx.now,
  );
}

type ReadResult = { ok: true; kv: KV } | { ok: false };

function readStore(ctx: RequestContext): ReadResult {
  try {
    return { ok: true, kv: ctx.deps.store.read() };
  } catch (error) {
    ctx.deps.log("ERROR", "store read failed", { error: (error as Error).message });
    return { ok: false };
  }
}

async function updateStore<T>(
  ctx: RequestContext,
  mutate: (kv: KV) => T,
): Promise<{ ok: true; value: T } | { ok: false }> {
  try {
    return { ok: true, value: await ctx.deps.store.update(mutate) };
  } catch (error) {
    ctx.deps.log("ERROR", "store write failed", { error: (error as Error).message });
    return { ok: false };
  }
}

function invalidPathReply(operation: string, problem: string, emptyMessage: string): Reply {
  const body =
    problem === "empty"
      ? { error: emptyMessage, code: "invalid_request" }
      : { error: "invalid path", code: "invalid_request" };
  return {
    status: 400,
    body,
    event: { operation, outcome: "denied", deny_reason: `invalid path: ${problem}` },
  };
}

// ---- registry handlers ---------------------------------------------------------------------------

interface RegistryRequest {
  path: string;
  keyId: string;
  ruleId?: string;
}

/**
 * The start every registry handler shares, in the cli §15.3 order: path validation (400, with the
 * route's own wording for an empty path), then policy (403, with the route's wording, wire §3.5).
 */
function authorizeRegistry(
  ctx: RequestContext,
  operation: string,
  namespace: "secrets" | "metadata",
  wording: { emptyPath: string; denied: string } = {
    emptyPath: "path is required",
    denied: "operation denied by policy",
  },
): RegistryRequest | { reply: Reply } {
  const path = trimSlashes(ctx.value);
  const problem = pathProblem(path);
  if (problem) return { reply: invalidPathReply(operation, problem, wording.emptyPath) };
  const keyId = `${namespace}/${path}`;
  const decision = decide(ctx, operation, keyId);
  if (!decision.allowed) return { reply: policyDenied(operation, keyId, decision, wording.denied) };
  return { path, keyId, ruleId: decision.ruleId };
}

async function postSecret(ctx: RequestContext): Promise<Reply> {
  const operation = "secret_write";
  const request = authorizeRegistry(ctx, operation, "secrets");
  if ("reply" in request) return request.reply;
  const { path, keyId, ruleId } = request;
  const raw = await readBody(ctx.req);
  const body = raw === null ? ({ kind: "invalid" } as const) : decodeSecretBody(raw.text);
  if (body.kind === "invalid") {
    return {
      ...apiError(400, "invalid JSON body", "invalid_request"),
      event: { operation, key_id: keyId, outcome: "denied", deny_reason: "invalid JSON body" },
    };
  }
  if (body.kind === "empty") {
    return {
      ...apiError(400, "secret body must not be empty", "invalid_request"),
      event: { operation, key_id: keyId, outcome: "denied", deny_reason: "empty secret body" },
    };
  }
  const refusal = raw?.utf8 === false ? "secret body is not valid UTF-8" : valueRefusal(body.fields);
  if (refusal !== null) {
    return {
      ...apiError(400, refusal, "invalid_request"),
      event: { operation, key_id: keyId, outcome: "denied", deny_reason: refusal },
    };
  }
  const written = await updateStore(ctx, (kv) => writeSecret(kv, path, body.fields, ctx.now));
  if (!written.ok) return internalError(operation, keyId);
  return {
    status: written.value.created ? 201 : 200,
    body: written.value.metadata,
    event: { operation, key_id: keyId, outcome: "success", rule_id: ruleId },
  };
}

/**
 * Our addition to wire §5.2: a value no environment variable can hold (a NUL byte, a `\ud800`
 * escape) is refused with a fixed text, so nothing that echoes the reason can echo the value.
 */
function valueRefusal(fields: Record<string, string>): string | null {
  for (const value of Object.values(fields)) {
    const problem = secretValueProblem(value);
    if (problem !== null) return `secret value ${problem}`;
  }
  return null;
}

function policyDenied(
  operation: string,
  keyId: string | undefined,
  decision: { ruleId?: string; reason?: string },
  message: string,
): Reply {
  return {
    ...apiError(403, message, "policy_denied"),
    event: {
      operation,
      key_id: keyId,
      outcome: "denied",
      deny_reason: decision.reason,
      rule_id: decision.ruleId,
    },
  };
}

function internalError(
  operation: string,
  keyId: string | undefined,
  extra: Partial<AuditEventInput> = {},
): Reply {
  return {
    status: 500,
    body: INTERNAL,
    event: { ...extra, operation, key_id: keyId, outcome: "error", deny_reason: "internal error" },
  };
}

function notFound(
  operation: string,
  keyId: string,
  message: string,
  outcome: "error" | "denied",
  reason = "not found",
): Reply {
  return {
    ...apiError(404, message, "key_not_found"),
    event: { operation, key_id: keyId, outcome, deny_reason: reason },
  };
}

function getSecret(ctx: RequestContext): Reply {
  if (ctx.query.get("action") === "history") return getHistory(ctx);
  const operation = "credential_vend";
  const request = authorizeRegistry(ctx, operation, "secrets", {
    emptyPath: "path required",
    denied: "denied",
  });
  if ("reply" in request) return request.reply;
  const { path, keyId } = request;
  // Any store failure reads as "not found" here (wire §6.4); the cause is in the server log.
  const store = readStore(ctx);
  const fields = store.ok ? readSecret(store.kv, path) : null;
  if (!fields) return notFound(operation, keyId, "secret not found", "denied");
  // AgentKMS records no rule_id for value reads (wire §4.3).
  return { status: 200, body: sortedObject(fields), event: { operation, key_id: keyId, outcome: "success" } };
}

/** The two read-only registry lookups: authorize, read the store, 200 with the record or 404. */
function registryRead(
  ctx: RequestContext,
  operation: string,
  namespace: "secrets" | "metadata",
  lookup: (kv: KV, path: string) => object | null,
): Reply {
  const request = authorizeRegistry(ctx, operation, namespace);
  if ("reply" in request) return request.reply;
  const { path, keyId, ruleId } = request;
  const store = readStore(ctx);
  if (!store.ok) return internalError(operation, keyId);
  const body = lookup(store.kv, path);
  if (!body) return notFound(operation, keyId, "secret not found", "error");
  return { status: 200, body, event: { operation, key_id: keyId, outcome: "success", rule_id: ruleId } };
}

function getHistory(ctx: RequestContext): Reply {
  return registryRead(ctx, "secret_history", "secrets", secretHistory);
}

async function deleteSecret(ctx: RequestContext): Promise<Reply> {
  const purge = ctx.query.get("purge") === "true";
  const operation = purge ? "secret_purge" : "secret_delete";
  const request = authorizeRegistry(ctx, operation, "secrets");
  if ("reply" in request) return request.reply;
  const { path, keyId, ruleId } = request;
  const done = await updateStore(ctx, (kv) =>
    purge ? purgeSecret(kv, path) : softDelete(kv, path, ctx.now),
  );
  if (!done.ok) return internalError(operation, keyId);
  if (!done.value) return notFound(operation, keyId, "secret not found", "error");
  return { status: 204, event: { operation, key_id: keyId, outcome: "success", rule_id: ruleId } };
}

/**
 * Serialized `GET /metadata` bodies per store snapshot. The store hands out a new KV object
 * whenever the file changes, so a snapshot's list never goes stale; building and serializing
 * 1,000 records took the server ~1.5 ms per request. Policy and audit still run every time.
 */
const listBodies = new WeakMap<KV, { all?: string; active?: string }>();

function listSecrets(ctx: RequestContext): Reply {
  const operation = "metadata_list";
  const decision = decide(ctx, operation, "metadata/*");
  if (!decision.allowed) return policyDenied(operation, undefined, decision, "operation denied by policy");
  const store = readStore(ctx);
  if (!store.ok) return internalError(operation, undefined);
  const includeDeleted = ctx.query.get("include_deleted") === "true";
  const bodies = listBodies.get(store.kv) ?? {};
  const which = includeDeleted ? "all" : "active";
  let json = bodies[which];
  if (json === undefined) {
    json = `${goJson({ secrets: listMetadata(store.kv, includeDeleted) })}\n`;
    bodies[which] = json;
    listBodies.set(store.kv, bodies);
  }
  return { status: 200, json, event: { operation, outcome: "success", rule_id: decision.ruleId } };
}

function getSecretMetadata(ctx: RequestContext): Reply {
  return registryRead(ctx, "metadata_list", "metadata", getMetadata);
}

async function postSecretMetadata(ctx: RequestContext): Promise<Reply> {
  const operation = "metadata_write";
  const request = authorizeRegistry(ctx, operation, "metadata");
  if ("reply" in request) return request.reply;
  const { path, keyId, ruleId } = request;
  const missing = (): Reply =>
    notFound(operation, keyId, "secret not found \u2014 write the secret first", "error", "secret not found");
  // Existence is checked before the body is decoded (wire §5.3 order).
  const store = readStore(ctx);
  if (!store.ok) return internalError(operation, keyId);
  if (!getMetadata(store.kv, path)) return missing();
  const raw = await readBody(ctx.req);
  const patch = raw === null ? null : decodeMetadataBody(raw.text);
  if (!patch) {
    return {
      ...apiError(400, "invalid JSON body", "invalid_request"),
      event: { operation, key_id: keyId, outcome: "denied", deny_reason: "invalid JSON body" },
    };
  }
  const merged = await updateStore(ctx, (kv) => mergeMetadata(kv, path, patch, ctx.now));
  if (!merged.ok) return internalError(operation, keyId);
  if (!merged.value) return missing();
  return {
    status: 200,
    body: merged.value,
    event: { operation, key_id: keyId, outcome: "success", rule_id: ruleId },
  };
}

// ---- vending -------------------------------------------------------------------------------------

function vendExpiry(now: Date): string {
  return registryTimestamp(new Date(now.getTime() + VEND_TTL_SECONDS * 1000));
}

function sha256Hex(text: string): string {
  return createHash("sha256").update(text).digest("hex");
}

function listProviders(): Reply {
  return { status: 200, body: { providers: SUPPORTED_PROVIDERS } };
}

function vendLlm(ctx: RequestContext): Reply {
  const operation = "credential_vend";
  const tags = LLM_TAGS;
  const provider = ctx.value.trim().toLowerCase();
  if (provider === "") {
    return {
      ...apiError(400, "provider is required", "invalid_request"),
      event: { operation, outcome: "denied", deny_reason: "invalid provider: empty", compliance_tags: tags },
    };
  }
  if (!SUPPORTED_PROVIDERS.includes(provider)) {
    return {
      ...apiError(
        400,
        "unsupported provider \u2014 see /credentials/llm for supported list",
        "invalid_request",
      ),
      event: { operation, outcome: "denied", deny_reason: "unsupported provider", compliance_tags: tags },
    };
  }
  const keyId = `llm/${provider}`;
  const limitKey = `${ctx.caller.callerId}:${provider}`;
  const nowMs = ctx.now.getTime();
  if (ctx.deps.limiter.isLimited(limitKey, nowMs)) {
    return {
      ...apiError(429, "credential recently vended \u2014 retry after TTL expires", "rate_limited"),
      event: {
        operation,
        key_id: keyId,
        outcome: "denied",
        deny_reason: "rate limited: credential recently vended",
        compliance_tags: tags,
      },
    };
  }
  const decision = decide(ctx, operation, keyId);
  if (!decision.allowed) {
    const denied = policyDenied(operation, keyId, decision, "operation denied by policy");
    return { ...denied, event: { ...denied.event, operation, outcome: "denied", compliance_tags: tags } };
  }
  const store = readStore(ctx);
  if (!store.ok) return internalError(operation, keyId, { compliance_tags: tags });
  const apiKey = store.kv.get(LLM_PREFIX + provider)?.["api_key"] ?? "";
  // No store yet reads as an empty store: 404, where agentkms-dev answers 500 (our fix, wire §11).
  if (apiKey === "" || apiKey === "REPLACE_WITH_REAL_KEY") {
    return {
      ...apiError(404, `no credential configured for provider ${provider}`, "key_not_found"),
      event: {
        operation,
        key_id: keyId,
        outcome: "error",
        deny_reason: "credential not found for provider",
        compliance_tags: tags,
        rule_id: decision.ruleId,
      },
    };
  }
  ctx.deps.limiter.recordVend(limitKey, nowMs);
  const credentialUuid = randomUUID();
  const expires = new Date(nowMs + VEND_TTL_SECONDS * 1000);
  const scope = {
    kind: "llm-session",
    params: { provider },
    ttl: VEND_TTL_SECONDS * 1e9,
    issued_at: formatRfc3339Nano(ctx.now),
    expires_at: formatRfc3339Nano(expires),
  };
  return {
    status: 200,
    body: {
      provider,
      api_key: apiKey,
      expires_at: vendExpiry(ctx.now),
      ttl_seconds: VEND_TTL_SECONDS,
      credential_uuid: credentialUuid,
    },
    event: {
      operation,
      key_id: keyId,
      outcome: "success",
      compliance_tags: tags,
      credential_uuid: credentialUuid,
      rule_id: decision.ruleId,
      credential_type: "llm-session",
      provider_token_hash: sha256Hex(apiKey),
      scope,
      scope_hash: sha256Hex(JSON.stringify(scope)),
    },
  };
}

function vendGeneric(ctx: RequestContext): Reply {
  const operation = "credential_vend";
  // Generic paths are not trimmed (wire §7.3), so a trailing "/" is an empty segment here.
  const path = ctx.value;
  const problem = pathProblem(path);
  if (problem) return invalidPathReply(operation, problem, "path is required");
  const keyId = `generic/${path}`;
  const limitKey = `${ctx.caller.callerId}:generic:${path}`;
  const nowMs = ctx.now.getTime();
  if (ctx.deps.limiter.isLimited(limitKey, nowMs)) {
    return {
      ...apiError(429, "retry after TTL expires", "rate_limited"),
      event: { operation, key_id: keyId, outcome: "denied", deny_reason: "rate limited" },
    };
  }
  const decision = decide(ctx, operation, keyId);
  if (!decision.allowed) return policyDenied(operation, keyId, decision, "denied");
  const store = readStore(ctx);
  if (!store.ok) return internalError(operation, keyId);
  const fields = store.kv.get(GENERIC_PREFIX + path);
  if (!fields) return notFound(operation, keyId, "not found", "error");
  ctx.deps.limiter.recordVend(limitKey, nowMs);
  const credentialUuid = randomUUID();
  return {
    status: 200,
    body: {
      path,
      secrets: sortedObject(fields),
      expires_at: vendExpiry(ctx.now),
      ttl_seconds: VEND_TTL_SECONDS,
      credential_uuid: credentialUuid,
    },
    event: {
      operation,
      key_id: keyId,
      outcome: "success",
      credential_uuid: credentialUuid,
      rule_id: decision.ruleId,
      credential_type: "generic-vend",
      provider_token_hash: sha256Hex(canonicalFields(fields)),
    },
  };
}

const API_ROUTES: Route[] = [
  route("GET", "/credentials/llm", listProviders),
  route("GET", "/credentials/llm/{provider}", vendLlm),
  route("POST", "/credentials/llm/{provider}/refresh", vendLlm),
  route("GET", "/credentials/generic/{path...}", vendGeneric),
  route("POST", "/secrets/{path...}", postSecret),
  route("GET", "/secrets/{path...}", getSecret),
  route("DELETE", "/secrets/{path...}", deleteSecret),
  route("GET", "/metadata", listSecrets),
  route("GET", "/metadata/{path...}", getSecretMetadata),
  route("POST", "/metadata/{path...}", postSecretMetadata),
];

// ---- auth routes (outer mux) ---------------------------------------------------------------------

function sessionBody(token: string, claims: TokenClaims, ttl: number): string {
  return `${goJson({ token, token_type: "Bearer", expires_in: ttl, session_id: claims.jti })}\n`;
}

function authAuditBase(req: IncomingMessage) {
  return {
    source_ip: sourceIp(req),
    // Only /auth/* events truncate the User-Agent (wire §4.2).
    user_agent: (req.headers["user-agent"] ?? "").slice(0, 256),
    compliance_tags: AUTH_TAGS,
  };
}

function recordAudit(deps: RouteDeps, event: AuditEventInput): boolean {
  try {
    deps.audit.record(event);
    return true;
  } catch (error) {
    deps.log("ERROR", "audit write failed", { error: (error as Error).message });
    return false;
  }
}

function createSession(deps: RouteDeps, req: IncomingMessage, res: ServerResponse): number {
  const peer = peerOf(req);
  const identity = peer?.identity ?? null;
  if (!identity) {
    recordAudit(deps, {
      caller_id: peer?.cn ?? "",
      team_id: "",
      operation: "auth",
      outcome: "error",
      deny_reason: "client certificate required",
      ...authAuditBase(req),
      ...(peer ? { cert_fingerprint: peer.fingerprint } : {}),
    });
    sendJson(res, 401, '{"error":"client certificate required"}');
    return 401;
  }
  const { token, claims } = deps.tokens.issue(identity, nowSeconds(deps));
  const audited = recordAudit(deps, {
    caller_id: identity.callerId,
    team_id: identity.teamId,
    agent_session: claims.jti,
    operation: "auth",
    outcome: "success",
    ...authAuditBase(req),
    cert_fingerprint: identity.certFingerprint,
    caller_ou: identity.callerOu,
    caller_role: identity.role,
  });
  if (!audited) {
    deps.tokens.revoke(claims.jti, claims.exp);
    sendJson(res, 500, '{"error":"session creation failed"}');
    return 500;
  }
  sendJson(res, 200, sessionBody(token, claims, deps.tokens.ttlSeconds));
  return 200;
}

function nowSeconds(deps: RouteDeps): number {
  return Math.floor((deps.now?.() ?? new Date()).getTime() / 1000);
}

/** auth.RequireToken (wire §2.5): trimmed token, leaf binding, errors without a code. */
function requireToken(deps: RouteDeps, req: IncomingMessage, res: ServerResponse): TokenClaims | null {
  const header = req.headers.authorization;
  if (!header?.startsWith("Bearer ")) {
    sendJson(res, 401, '{"error":"authorization required"}');
    return null;
  }
  const claims = deps.tokens.validate(header.slice(7).trim(), nowSeconds(deps));
  const peer = peerOf(req);
  if (!claims || !peer || peer.fingerprint !== claims.cfp) {
    sendJson(res, 401, '{"error":"token invalid or expired"}');
    return null;
  }
  return claims;
}

/** The audit event of a token refresh or revoke: the caller from `holder`'s claims, the session given. */
function recordSessionAudit(
  deps: RouteDeps,
  req: IncomingMessage,
  operation: "auth_refresh" | "revoke",
  holder: TokenClaims,
  agentSession: string | undefined,
): void {
  recordAudit(deps, {
    caller_id: holder.sub,
    team_id: holder.team,
    agent_session: agentSession,
    operation,
    outcome: "success",
    ...authAuditBase(req),
    cert_fingerprint: holder.cfp,
    caller_ou: peerOf(req)?.identity?.callerOu ?? "",
    caller_role: holder.role,
  });
}

function refreshSession(deps: RouteDeps, req: IncomingMessage, res: ServerResponse): number {
  const old = requireToken(deps, req, res);
  if (!old) return 401;
  const { token, claims } = deps.tokens.issue(
    {
      callerId: old.sub,
      teamId: old.team,
      role: old.role,
      spiffeId: old.spiffe ?? "",
      certFingerprint: old.cfp,
    },
    nowSeconds(deps),
  );
  deps.tokens.revoke(old.jti, old.exp);
  recordSessionAudit(deps, req, "auth_refresh", old, claims.jti);
  sendJson(res, 200, sessionBody(token, claims, deps.tokens.ttlSeconds));
  return 200;
}

function revokeSession(deps: RouteDeps, req: IncomingMessage, res: ServerResponse): number {
  const claims = requireToken(deps, req, res);
  if (!claims) return 401;
  deps.tokens.revoke(claims.jti, claims.exp);
  recordSessionAudit(deps, req, "revoke", claims, claims.jti);
  res.writeHead(204);
  res.end();
  return 204;
}

// ---- bearer middleware ---------------------------------------------------------------------------

function unauthorized(res: ServerResponse, message: string): null {
  sendJson(res, 401, `${goJson({ error: message, code: "unauthorized" })}\n`);
  return null;
}

/** The API middleware (wire §2.4): exact header form, valid token, then binding to this connection's cert. */
function authenticate(deps: RouteDeps, req: IncomingMessage, res: ServerResponse): Caller | null {
  const header = req.headers.authorization;
  if (!header?.startsWith("Bearer ")) return unauthorized(res, "missing or invalid Authorization header");
  const claims = deps.tokens.validate(header.slice(7), nowSeconds(deps));
  if (!claims) return unauthorized(res, "invalid or expired session token");
  const peer = peerOf(req);
  if (!peer) return unauthorized(res, "mTLS required for session-based requests");
  if (peer.fingerprint !== claims.cfp)
    return unauthorized(res, "token is not bound to this client certificate");
  return { callerId: claims.sub, teamId: claims.team, role: claims.role, certFingerprint: claims.cfp };
}

// ---- dispatch ------------------------------------------------------------------------------------

/** Handles one request; resolves with the status sent (for the request log). */
export async function handleRequest(
  deps: RouteDeps,
  req: IncomingMessage,
  res: ServerResponse,
): Promise<number> {
  const url = req.url ?? "/";
  if (!url.startsWith("/")) {
    sendText(res, 400, "400 Bad Request");
    return 400;
  }
  const q = url.indexOf("?");
  const escapedPath = q < 0 ? url : url.slice(0, q);
  const rawQuery = q < 0 ? "" : url.slice(q + 1);
  const method = req.method ?? "GET";
  // Non-canonical paths are redirected before anything else, auth included (wire §1.3, §10a: 307).
  const cleaned = cleanRequestPath(escapedPath);
  if (cleaned !== escapedPath) {
    sendRedirect(req, res, `${cleaned}${rawQuery ? `?${rawQuery}` : ""}`);
    return 307;
  }
  // Outer mux; other methods on these paths fall through to the API mux and get its 404 (wire §10a).
  if (escapedPath === "/healthz" && (method === "GET" || method === "HEAD")) {
    sendJson(res, 200, '{"status":"ok","service":"agentkms-dev"}');
    return 200;
  }
  if (method === "POST" && escapedPath === "/auth/session") return createSession(deps, req, res);
  if (method === "POST" && escapedPath === "/auth/refresh") return refreshSession(deps, req, res);
  if (method === "POST" && escapedPath === "/auth/revoke") return revokeSession(deps, req, res);

  const match = muxRoute(API_ROUTES, method, escapedPath, rawQuery);
  if (match.kind === "redirect") {
    sendRedirect(req, res, match.location);
    return 307;
  }
  if (match.kind === "notFound") {
    sendText(res, 404, "404 page not found\n");
    return 404;
  }
  if (match.kind === "notAllowed") {
    sendText(res, 405, "Method Not Allowed\n", { Allow: match.allow });
    return 405;
  }
  const caller = authenticate(deps, req, res);
  if (!caller) return 401;
  const ctx: RequestContext = {
    req,
    caller,
    value: match.value,
    query: new URLSearchParams(rawQuery),
    deps,
    now: deps.now?.() ?? new Date(),
  };
  let reply = await match.route.handler(ctx);
  if (reply.event) {
    const event: AuditEventInput = { ...auditBase(ctx), ...reply.event };
    // Fail closed: a request whose audit event cannot be written gets no result (wire §4.1).
    if (!recordAudit(deps, event)) reply = { status: 500, body: INTERNAL };
  }
  if (reply.json !== undefined) sendJson(res, reply.status, reply.json);
  else if (reply.body === undefined) {
    res.writeHead(reply.status);
    res.end();
  } else sendJson(res, reply.status, `${goJson(reply.body)}\n`);
  return reply.status;
}
