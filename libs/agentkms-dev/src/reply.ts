// What an API handler returns (status, JSON body, its one audit event) and the error replies the
// handlers share, each with the wire's `{error, code}` body and the matching audit outcome.
import type { AuditEventInput } from "./audit.ts";

export interface Reply {
  status: number;
  /** JSON body (a newline is appended, as Go's encoder does); undefined for an empty body. */
  body?: unknown;
  /** The body already serialized (replyJson plus newline); wins over `body`. */
  json?: string;
  /** The one audit event of this request; undefined only for routes AgentKMS does not audit. */
  event?: Omit<AuditEventInput, "caller_id" | "team_id"> &
    Partial<Pick<AuditEventInput, "caller_id" | "team_id">>;
}

export function apiError(status: number, error: string, code: string): { status: number; body: unknown } {
  return { status, body: { error, code } };
}

export const INTERNAL = { error: "internal error", code: "internal_error" };

/** 400 for a path `pathProblem` refused; an empty path gets the route's own wording. */
export function invalidPathReply(operation: string, problem: string, emptyMessage: string): Reply {
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

export function policyDenied(
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

export function internalError(
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

export function notFound(
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
