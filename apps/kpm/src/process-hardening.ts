// Which kpm processes harden themselves, and the one switch that turns it off. The decrypt
// listeners (default and strict) and `kpm run` hold keys or plaintext: they make themselves
// non-dumpable with no core file, and `kpm run` starts a child that holds secrets through the
// exec step, so the child dies with kpm. The primitives live in @kpm/libc.
import { hardenProcess, processLibc } from "@kpm/libc";
import type { Logger } from "./cli/logger.ts";
import type { Env } from "./paths.ts";

/**
 * Test-only: "1" leaves the process dumpable and starts `kpm run`'s child directly, so tests can
 * show the attacks these defences stop. It gives nothing to whoever controls kpm's environment
 * that LD_PRELOAD does not already give them.
 */
export const UNHARDENED_VARIABLE = "KPM_TEST_UNHARDENED";

const isUnhardened = (env: Env): boolean => env[UNHARDENED_VARIABLE] === "1";

/** PR_SET_DUMPABLE 0 and a soft RLIMIT_CORE of 0 (Linux); elsewhere a --verbose note only. */
export function hardenSelf(env: Env, log: Logger): void {
  if (isUnhardened(env)) return;
  const result = hardenProcess();
  if (!result.ok) log.debug(`kpm: process hardening unavailable: ${result.reason}`);
}

/**
 * Whether `kpm run` can start its child through the exec step (Linux, libc bound). It does so
 * only for a child that receives secrets: one that holds none costs no extra process start.
 */
export function canUseExecStep(env: Env): boolean {
  return process.platform === "linux" && !isUnhardened(env) && processLibc() !== null;
}
