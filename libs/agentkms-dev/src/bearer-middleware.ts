// The API routes' bearer middleware (wire §2.4): exact `Bearer ` header, a valid unexpired token,
// and a token bound to this connection's client certificate; otherwise 401 with code "unauthorized".
import type { IncomingMessage, ServerResponse } from "node:http";
import type { Caller } from "./handler-context.ts";
import { peerOf } from "./peer-identity.ts";
import { replyJson, sendJson } from "./respond.ts";
import { nowSeconds, type RouteDeps } from "./route-deps.ts";

function unauthorized(res: ServerResponse, message: string): null {
  sendJson(res, 401, `${replyJson({ error: message, code: "unauthorized" })}\n`);
  return null;
}

/** The API middleware (wire §2.4): exact header form, valid token, then binding to this connection's cert. */
export function authenticate(deps: RouteDeps, req: IncomingMessage, res: ServerResponse): Caller | null {
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
