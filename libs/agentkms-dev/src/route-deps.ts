// What the request handlers get from the server: tokens, policy, audit log, store, rate limiter,
// log and clock; and the two steps every handler family shares through them (audit, clock).
import type { AuditEventInput, AuditLog } from "./audit.ts";
import type { Policy } from "./policy.ts";
import type { VendRateLimiter } from "./ratelimit.ts";
import type { LogFn } from "./server-log.ts";
import type { KV } from "./store.ts";
import type { TokenService } from "./token.ts";

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

/** Writes one audit event; false (and a log line) when it could not be written, so callers fail closed. */
export function recordAudit(deps: RouteDeps, event: AuditEventInput): boolean {
  try {
    deps.audit.record(event);
    return true;
  } catch (error) {
    deps.log("ERROR", "audit write failed", { error: (error as Error).message });
    return false;
  }
}

/** The server clock in Unix seconds, as tokens count time. */
export function nowSeconds(deps: RouteDeps): number {
  return Math.floor((deps.now?.() ?? new Date()).getTime() / 1000);
}
