// How doctor results are printed: one line each, or JSON for scripts.
import type { CheckResult, CheckStatus } from "./check.ts";

const MARKS: Record<CheckStatus, string> = { ok: "✓", warn: "!", fail: "✗", skipped: "-" };

/** `✓ <what>: <detail>`, `✗ <what>: <problem> — fix: <action>`. */
export function renderLine(entry: CheckResult): string {
  const fix = entry.fix === undefined ? "" : ` — fix: ${entry.fix}`;
  return `${MARKS[entry.status]} ${entry.check}: ${entry.detail}${fix}`;
}

/** `[{id, check, ok, status, detail, fix?}]`; ok is true for passing checks and warnings. */
export function renderJson(results: readonly CheckResult[]): string {
  const entries = results.map((entry) => ({
    id: entry.id,
    check: entry.check,
    ok: entry.status === "ok" || entry.status === "warn",
    status: entry.status,
    detail: entry.detail,
    ...(entry.fix === undefined ? {} : { fix: entry.fix }),
  }));
  return `${JSON.stringify(entries, null, 2)}\n`;
}
