// Applies the allow-list to a template's final entries (§9.1.3–9.1.4, docs/allowlist.md) before
// anything is fetched; the decisions feed the audit lines and records (§9.4).

import type { Allowlist } from "./parse-allowlist.ts";
import { matchesPattern } from "./pattern.ts";
import { matchesPin, type ReferenceLike, referenceName } from "./pin.ts";

export type FilterOutcome = "allowed" | "denied" | "ref_mismatch";

export interface FilterDecision {
  variable: string;
  /** The entry's reference as `type/path[#key]`; its default is not part of it. */
  ref: string;
  outcome: FilterOutcome;
  /** ref_mismatch only: the reference the allow-list pins the variable to. */
  pinned?: string;
}

/** A template entry as the filter sees it: `ref` is null for a plain entry. */
export interface FilterInput {
  key: string;
  ref: ReferenceLike | null;
}

export interface FilterResult<T> {
  kept: T[];
  /** One per KMS entry, in template order. */
  decisions: FilterDecision[];
  /** The KMS entries refused because they name another reference than their pin. */
  mismatches: Array<{ entry: T; decision: FilterDecision }>;
  /** not_listed → the CLI warns that all secrets are filtered; empty_list filters silently. */
  status: "listed" | "not_listed" | "empty_list";
  /** The tool's list has a lone "*" entry; the CLI prints the allow-everything notice. */
  allowsEverything: boolean;
}

export function filterEntries<T extends FilterInput>(
  allowlist: Allowlist,
  tool: string,
  entries: T[],
): FilterResult<T> {
  const rules = allowlist.get(tool) ?? null;
  const status =
    rules === null
      ? "not_listed"
      : rules.patterns.length === 0 && rules.pins.size === 0
        ? "empty_list"
        : "listed";
  const result: FilterResult<T> = {
    kept: [],
    decisions: [],
    mismatches: [],
    status,
    allowsEverything: rules?.patterns.includes("*") ?? false,
  };
  for (const entry of entries) {
    if (entry.ref === null) {
      result.kept.push(entry);
      continue;
    }
    const decision: FilterDecision = {
      variable: entry.key,
      ref: referenceName(entry.ref),
      outcome: "denied",
    };
    // A pin decides alone: no glob or plain entry for the same name can let another reference through.
    const pin = rules?.pins.get(entry.key);
    if (pin !== undefined) {
      if (matchesPin(pin, entry.ref)) decision.outcome = "allowed";
      else {
        decision.outcome = "ref_mismatch";
        decision.pinned = referenceName(pin);
        result.mismatches.push({ entry, decision });
      }
    } else if (rules?.patterns.some((pattern) => matchesPattern(pattern, entry.key))) {
      decision.outcome = "allowed";
    }
    result.decisions.push(decision);
    if (decision.outcome === "allowed") result.kept.push(entry);
  }
  return result;
}
