// The audit log (wire §4): NDJSON, one event per handled request, fields in AgentKMS struct order,
// empty fields omitted, file opened O_APPEND 0600 and fsync'd after every event. Never values.
import { randomUUID } from "node:crypto";
import { closeSync, fsyncSync, openSync, writeSync } from "node:fs";

export type AuditOutcome = "success" | "denied" | "error";

export interface AuditScope {
  kind: string;
  params: Record<string, string>;
  ttl: number;
  issued_at: string;
  expires_at: string;
}

/** Every field an event may carry; the ones the sink fills in itself are optional here. */
export interface AuditEventInput {
  caller_id: string;
  team_id: string;
  agent_session?: string;
  operation: string;
  key_id?: string;
  outcome: AuditOutcome;
  deny_reason?: string;
  source_ip?: string;
  user_agent?: string;
  compliance_tags?: string[];
  error_detail?: string;
  anomalies?: string[];
  credential_uuid?: string;
  rule_id?: string;
  cert_fingerprint?: string;
  caller_ou?: string;
  caller_role?: string;
  credential_type?: string;
  provider_token_hash?: string;
  scope?: AuditScope;
  scope_hash?: string;
}

// Go struct order of the AgentKMS AuditEvent; caller_id, team_id, operation and outcome are not omitempty.
const FIELD_ORDER = [
  "key_id",
  "key_version",
  "payload_hash",
  "algorithm",
  "outcome",
  "deny_reason",
  "source_ip",
  "user_agent",
  "compliance_tags",
  "environment",
  "error_detail",
  "anomalies",
  "credential_uuid",
  "rule_id",
  "cert_fingerprint",
  "caller_ou",
  "caller_role",
  "credential_type",
  "provider_token_hash",
  "scope",
  "scope_hash",
  "invalidation_reason",
] as const;

const SCREENED_FIELDS = [
  "deny_reason",
  "error_detail",
  "caller_id",
  "user_agent",
  "key_id",
  "caller_ou",
  "caller_role",
  "credential_type",
] as const;

const HEX_RUN = /[0-9a-fA-F]{64,}/;
const LOWER_HEX = /^[0-9a-f]*$/;

/** Why AgentKMS' Validate() would reject the event (key material in a text field), or null. */
export function auditRejection(event: AuditEventInput): string | null {
  for (const field of SCREENED_FIELDS) {
    const value = event[field];
    if (!value) continue;
    if (value.includes("-----BEGIN") || value.includes("-----END")) return `${field} contains PEM material`;
    if (HEX_RUN.test(value)) return `${field} contains a long hex run`;
  }
  for (const field of ["provider_token_hash", "cert_fingerprint"] as const) {
    const value = event[field];
    if (value && !LOWER_HEX.test(value)) return `${field} is not lowercase hex`;
  }
  return null;
}

/** Go's time.RFC3339Nano in UTC: fractional seconds without trailing zeros. */
export function formatRfc3339Nano(date: Date): string {
  const iso = date.toISOString();
  const fraction = iso.slice(20, 23).replace(/0+$/, "");
  return `${iso.slice(0, 19)}${fraction ? `.${fraction}` : ""}Z`;
}

export function serializeAuditEvent(
  event: AuditEventInput,
  fixed: { eventId: string; timestamp: string; environment: string },
): string {
  const out: Record<string, unknown> = {
    schema_version: 1,
    event_id: fixed.eventId,
    timestamp: fixed.timestamp,
    caller_id: event.caller_id,
    team_id: event.team_id,
  };
  if (event.agent_session) out["agent_session"] = event.agent_session;
  out["operation"] = event.operation;
  const source: Record<string, unknown> = { ...event, environment: fixed.environment };
  for (const field of FIELD_ORDER) {
    const value = source[field];
    if (field === "outcome") out[field] = value;
    else if (value !== undefined && value !== "" && !(Array.isArray(value) && value.length === 0))
      out[field] = value;
  }
  // JSON.stringify never HTML-escapes, matching AgentKMS' SetEscapeHTML(false) encoder.
  return JSON.stringify(out);
}

export class AuditRejectedError extends Error {
  override readonly name = "AuditRejectedError";
}

export class AuditLog {
  readonly path: string;
  readonly #environment: string;
  #fd: number | null;

  constructor(path: string, environment: string) {
    this.path = path;
    this.#environment = environment;
    // 0600 applies on creation; O_APPEND keeps concurrent writers (CLI, tests) from interleaving lines.
    this.#fd = openSync(path, "a", 0o600);
  }

  /** Appends and fsyncs one event; throws AuditRejectedError (nothing written) when Validate() would refuse it. */
  record(event: AuditEventInput): void {
    const rejection = auditRejection(event);
    if (rejection !== null) throw new AuditRejectedError(`audit event rejected: ${rejection}`);
    if (this.#fd === null) throw new Error("audit log is closed");
    const line = serializeAuditEvent(event, {
      eventId: randomUUID(),
      timestamp: formatRfc3339Nano(new Date()),
      environment: this.#environment,
    });
    writeSync(this.#fd, `${line}\n`);
    fsyncSync(this.#fd);
  }

  close(): void {
    if (this.#fd === null) return;
    closeSync(this.#fd);
    this.#fd = null;
  }
}
