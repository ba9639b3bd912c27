// The outer mux's session routes (wire §2): POST /auth/session issues a token bound to the client
// certificate, /auth/refresh swaps it for a new one, /auth/revoke ends it. They write their own
// responses, Go's exact bodies, and audit with the /auth/* conventions.
import type { IncomingMessage, ServerResponse } from "node:http";
import { peerOf, sourceIp } from "./peer-identity.ts";
import { replyJson, sendJson } from "./respond.ts";
import { nowSeconds, type RouteDeps, recordAudit } from "./route-deps.ts";
import type { TokenClaims } from "./token.ts";

const AUTH_TAGS = ["soc2", "iso27001"];

function sessionBody(token: string, claims: TokenClaims, ttl: number): string {
  return `${replyJson({ token, token_type: "Bearer", expires_in: ttl, session_id: claims.jti })}\n`;
}

function authAuditBase(req: IncomingMessage) {
  return {
    source_ip: sourceIp(req),
    // Only /auth/* events truncate the User-Agent (wire §4.2).
    user_agent: (req.headers["user-agent"] ?? "").slice(0, 256),
    compliance_tags: AUTH_TAGS,
  };
}

export function createSession(deps: RouteDeps, req: IncomingMessage, res: ServerResponse): number {
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

export function refreshSession(deps: RouteDeps, req: IncomingMessage, res: ServerResponse): number {
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

export function revokeSession(deps: RouteDeps, req: IncomingMessage, res: ServerResponse): number {
  const claims = requireToken(deps, req, res);
  if (!claims) return 401;
  deps.tokens.revoke(claims.jti, claims.exp);
  recordSessionAudit(deps, req, "revoke", claims, claims.jti);
  res.writeHead(204);
  res.end();
  return 204;
}
