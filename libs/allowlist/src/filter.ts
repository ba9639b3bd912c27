// Applies the allow-list to a template's final entries (§9.1.3–9.1.4) before anything is
// fetched; the decisions feed the audit lines (§9.4).

import type { Allowlist } from "./parse-allowlist.ts";
import { matchesPattern } from "./pattern.ts";

export interface FilterDecision {
  variable: string;
  outcome: "allowed" | "denied";
}

export interface FilterResult<T> {
  kept: T[];
  decisions: FilterDecision[];
  /** not_listed → the CLI warns that all secrets are filtered; empty_list filters silently. */
  status: "listed" | "not_listed" | "empty_list";
  /** The tool's list has a lone "*" entry; the CLI prints the allow-everything notice. */
  allowsEverything: boolean;
}

export function filterEntries<T extends { key: string; kms: boolean }>(
  allowlist: Allowlist,
  tool: string,
  entries: T[],
): FilterResult<T> {
  const patterns = allowlist.get(tool) ?? null;
  const status = patterns === null ? "not_listed" : patterns.length === 0 ? "empty_list" : "listed";
  const kept: T[] = [];
  const decisions: FilterDecision[] = [];
  for (const entry of entries) {
    if (!entry.kms) {
      kept.push(entry);
      continue;
    }
    const allowed = patterns?.some((pattern) => matchesPattern(pattern, entry.key)) ?? false;
    decisions.push({ variable: entry.key, outcome: allowed ? "allowed" : "denied" });
    if (allowed) kept.push(entry);
  }
  return { kept, decisions, status, allowsEverything: patterns?.includes("*") ?? false };
}
