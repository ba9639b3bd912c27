// The NDJSON audit record of --secure (§9.4, docs/allowlist.md): one JSON object per line, fields
// in a fixed order, never a value. New kinds of record join the AuditRecord union; the serializer
// writes whatever fields a record has, in the order its builder set them.

import type { AuditEvent } from "./audit-line.ts";
import type { EnvRecord } from "./env-summary.ts";

export type AuditMode = "default" | "strict";

/** One --secure decision about one variable (`pinned` only for a ref_mismatch). */
export interface DecisionRecord {
  ts: string;
  action: "secure_allow" | "secure_filter";
  tool: string;
  var: string;
  ref: string;
  outcome: AuditEvent["outcome"];
  mode: AuditMode;
  pinned?: string;
  /** How the tool was confined ("landlock (ABI 7)", "off", "none (<reason>)"). */
  confinement?: string;
}

/** One brokered secret swapped into a request on its way to a declared host (docs/broker.md). */
export interface SwapRecord {
  ts: string;
  action: "broker_swap";
  tool: string;
  var: string;
  ref: string;
  host: string;
  method: string;
  path: string;
  mode: AuditMode;
}

/** Every record kind the audit log holds. */
export type AuditRecord = DecisionRecord | EnvRecord | SwapRecord;

/** The record of one swap, fields in the order they are written; never the value. */
export function swapRecord(
  swap: { variable: string; ref: string; host: string; method: string; path: string },
  tool: string,
  mode: AuditMode,
  now: Date = new Date(),
): SwapRecord {
  return {
    ts: now.toISOString(),
    action: "broker_swap",
    tool,
    var: swap.variable,
    ref: swap.ref,
    host: swap.host,
    method: swap.method,
    path: swap.path,
    mode,
  };
}

function action(outcome: AuditEvent["outcome"]): DecisionRecord["action"] {
  return outcome === "allowed" || outcome === "unavailable" ? "secure_allow" : "secure_filter";
}

/** The record of one decision, fields in the order they are written. */
export function decisionRecord(
  event: AuditEvent,
  tool: string,
  mode: AuditMode,
  now: Date = new Date(),
): DecisionRecord {
  const record: DecisionRecord = {
    ts: now.toISOString(),
    action: action(event.outcome),
    tool,
    var: event.variable,
    ref: event.ref,
    outcome: event.outcome,
    mode,
  };
  if (event.pinned !== undefined) record.pinned = event.pinned;
  if (event.confinement !== undefined) record.confinement = event.confinement;
  return record;
}

/** One NDJSON line, with its newline. */
export function serializeAuditRecord(record: AuditRecord): string {
  return `${JSON.stringify(record)}\n`;
}

/** One decision as its NDJSON line (with its newline); never a value. */
export function formatAuditRecord(
  event: AuditEvent,
  tool: string,
  mode: AuditMode,
  now: Date = new Date(),
): string {
  return serializeAuditRecord(decisionRecord(event, tool, mode, now));
}
