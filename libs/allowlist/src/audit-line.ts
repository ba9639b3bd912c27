// How --secure decisions are reported on stderr (§9.4, docs/allowlist.md): the --verbose
// kpm_audit line and the line for a pin mismatch; the NDJSON record is audit-record.ts.
// "secure_allow" is followed by two spaces so the columns line up, exactly as v0.2.1 printed it.

import type { FilterDecision, FilterOutcome } from "./filter.ts";

/** A decision, or an allowed variable that could not be obtained ("unavailable"). */
export interface AuditEvent {
  variable: string;
  ref: string;
  outcome: FilterOutcome | "unavailable";
  pinned?: string | undefined;
  /** How the tool was confined ("landlock (ABI 7)", "off", "none (<reason>)"): kpm run --secure. */
  confinement?: string | undefined;
}

/**
 * A reference as one token of a line: bare when it is plain printable ASCII without `"`, else a
 * JSON string. Reference paths and keys may hold spaces or escape sequences, which must neither
 * split a `key=value` line nor reach the terminal raw.
 */
export function referenceToken(ref: string): string {
  return /^[\x21-\x7e]+$/.test(ref) && !ref.includes('"') ? ref : JSON.stringify(ref);
}

export function formatAuditLine(decision: FilterDecision, tool: string): string {
  const head = decision.outcome === "allowed" ? "action=secure_allow " : "action=secure_filter";
  const line = `kpm_audit ${head} tool=${tool} var=${decision.variable} ref=${referenceToken(decision.ref)} outcome=${decision.outcome}`;
  return decision.pinned === undefined ? line : `${line} pinned=${referenceToken(decision.pinned)}`;
}

/** `kpm: --secure: <tool>: <VAR> at <file>:<line> is kms:<ref>, the allow-list pins <pin>; not injected` */
export function formatPinRefusal(tool: string, decision: FilterDecision, where: string): string {
  const pinned = referenceToken(decision.pinned ?? "");
  return `kpm: --secure: ${tool}: ${decision.variable} at ${where} is kms:${referenceToken(decision.ref)}, the allow-list pins ${pinned}; not injected`;
}
