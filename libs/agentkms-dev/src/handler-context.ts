// What an API handler receives once the bearer middleware let the request through (the caller from
// its token, the route's wildcard value, the query) and the policy and store steps handlers share.
import type { IncomingMessage } from "node:http";
import type { AuditEventInput } from "./audit.ts";
import { sourceIp } from "./peer-identity.ts";
import { evaluate } from "./policy.ts";
import type { RouteDeps } from "./route-deps.ts";
import type { KV } from "./store.ts";

export interface Caller {
  callerId: string;
  teamId: string;
  role: string;
  certFingerprint: string;
}

export interface RequestContext {
  req: IncomingMessage;
  caller: Caller;
  /** The route's wildcard, percent-decoded; "" for a route without one. */
  value: string;
  query: URLSearchParams;
  deps: RouteDeps;
  now: Date;
}

/** The audit fields every API event carries, from the caller and the connection. */
export function auditBase(
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

/** The policy's decision for this caller, operation and key at the request's time. */
export function decide(ctx: RequestContext, operation: string, keyId: string) {
  return evaluate(
    ctx.deps.policy,
    { callerId: ctx.caller.callerId, teamId: ctx.caller.teamId, role: ctx.caller.role },
    operation,
    keyId,
    ctx.now,
  );
}

/** The store, or { ok: false } after logging why it could not be read (the reply says only "internal"). */
export function readStore(ctx: RequestContext): { ok: true; kv: KV } | { ok: false } {
  try {
    return { ok: true, kv: ctx.deps.store.read() };
  } catch (error) {
    ctx.deps.log("ERROR", "store read failed", { error: (error as Error).message });
    return { ok: false };
  }
}

export async function updateStore<T>(
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
