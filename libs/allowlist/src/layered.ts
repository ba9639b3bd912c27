// A trusted project allow-list decides what a tool gets in that project, but it cannot widen what
// the user's own list grants: where the user's list names the tool, every KMS entry must pass both
// lists, and the pins of both hold (docs/allowlist.md, "Project and user lists").

import { type FilterDecision, type FilterInput, type FilterResult, filterEntries } from "./filter.ts";
import type { Allowlist } from "./parse-allowlist.ts";

/**
 * `lists[0]` is the list the lookup chose; the others bound it, each only if it names the tool.
 * The result reads as the chosen list's (status, notices) with the strictest decision per entry:
 * a pin mismatch in any list, else a denial in any list, else allowed.
 */
export function filterEntriesBounded<T extends FilterInput>(
  lists: readonly Allowlist[],
  tool: string,
  entries: T[],
): FilterResult<T> {
  const [chosen, ...bounds] = lists;
  if (chosen === undefined) throw new Error("filterEntriesBounded needs at least one allow-list");
  const results = [chosen, ...bounds.filter((list) => list.has(tool))].map((list) =>
    filterEntries(list, tool, entries),
  );
  const first = results[0] as FilterResult<T>;
  if (results.length === 1) return first;
  const combined: FilterResult<T> = {
    kept: [],
    decisions: [],
    mismatches: [],
    status: first.status,
    allowsEverything: results.every((result) => result.allowsEverything),
  };
  let index = 0;
  for (const entry of entries) {
    if (entry.ref === null) {
      combined.kept.push(entry);
      continue;
    }
    const decisions = results.map((result) => result.decisions[index] as FilterDecision);
    index++;
    const refused =
      decisions.find((decision) => decision.outcome === "ref_mismatch") ??
      decisions.find((decision) => decision.outcome === "denied");
    const decision = refused ?? (decisions[0] as FilterDecision);
    combined.decisions.push(decision);
    if (decision.outcome === "ref_mismatch") combined.mismatches.push({ entry, decision });
    if (refused === undefined) combined.kept.push(entry);
  }
  return combined;
}
