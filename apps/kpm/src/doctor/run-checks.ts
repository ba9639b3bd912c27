// The doctor's checks, in order: each sees what the ones before it found (DoctorState), so a check
// that cannot run says why instead of disappearing.
import type { KpmContext } from "../context.ts";
import { checkAllowlist } from "./allowlist-check.ts";
import { type CheckResult, type DoctorCheck, type DoctorState, result } from "./check.ts";
import { checkConfig } from "./config-check.ts";
import { checkListeners } from "./listener-checks.ts";
import { checkPemFiles } from "./pem-checks.ts";
import { checkServer } from "./server-checks.ts";
import { checkTrust } from "./trust-check.ts";

/** The checks, in the order they print; append new ones here. */
export const DOCTOR_CHECKS: ReadonlyArray<{ id: string; run: DoctorCheck }> = [
  { id: "config", run: checkConfig },
  { id: "pem", run: checkPemFiles },
  { id: "server", run: checkServer },
  { id: "listener", run: checkListeners },
  { id: "allowlist", run: checkAllowlist },
  { id: "trust", run: checkTrust },
];

export async function runDoctor(
  ctx: KpmContext,
  checks: ReadonlyArray<{ id: string; run: DoctorCheck }> = DOCTOR_CHECKS,
): Promise<CheckResult[]> {
  const state: DoctorState = { configPath: "config.yaml", identityUsable: false };
  const results: CheckResult[] = [];
  for (const check of checks) {
    try {
      results.push(...(await check.run(ctx, state)));
    } catch (error) {
      // A check that breaks is a finding too; the others still run.
      const message = error instanceof Error ? error.message : String(error);
      results.push(
        result(check.id, check.id, "fail", `check failed: ${message}`, "run with --verbose and report it"),
      );
    }
  }
  return results;
}

/** Exit status: 1 when anything failed; warnings and skipped checks alone do not fail. */
export function doctorExitCode(results: readonly CheckResult[]): number {
  return results.some((entry) => entry.status === "fail") ? 1 : 0;
}
