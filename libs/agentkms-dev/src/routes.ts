// Request handling of the dev server: the route table and the dispatch of one request through Go's
// two muxes (clean-path redirect, the outer /healthz and /auth/* routes, then the API mux behind the
// bearer middleware), the handler, its fail-closed audit event, and the reply (wire §1–§7, cli §15.3).
import type { IncomingMessage, ServerResponse } from "node:http";
import type { AuditEventInput } from "./audit.ts";
import { createSession, refreshSession, revokeSession } from "./auth-routes.ts";
import { authenticate } from "./bearer-middleware.ts";
import { auditBase, type RequestContext } from "./handler-context.ts";
import { cleanRequestPath, muxRoute, type Route, route } from "./mux.ts";
import {
  deleteSecret,
  getSecret,
  getSecretMetadata,
  listSecrets,
  postSecret,
  postSecretMetadata,
} from "./registry-routes.ts";
import { INTERNAL, type Reply } from "./reply.ts";
import { replyJson, sendJson, sendRedirect, sendText } from "./respond.ts";
import { type RouteDeps, recordAudit } from "./route-deps.ts";
import { listProviders, vendGeneric, vendLlm } from "./vend-routes.ts";

export type Handler = (ctx: RequestContext) => Promise<Reply> | Reply;

/** The API mux's patterns (wire §1.2), behind the bearer middleware. */
export const API_ROUTES: Route<Handler>[] = [
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
  } else sendJson(res, reply.status, `${replyJson(reply.body)}\n`);
  return reply.status;
}
