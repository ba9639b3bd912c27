// The --verbose audit line per KMS entry (§9.4); "secure_allow" is followed by two spaces so the
// columns line up, exactly as v0.2.1 printed it.

import type { FilterDecision } from "./filter.ts";

export function formatAuditLine(decision: FilterDecision, tool: string): string {
  return decision.outcome === "allowed"
    ? `kpm_audit action=secure_allow  tool=${tool} var=${decision.variable} outcome=allowed`
    : `kpm_audit action=secure_filter tool=${tool} var=${decision.variable} outcome=denied`;
}
