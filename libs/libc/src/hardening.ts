// prctl(2) and get/setrlimit(2) for processes that hold keys or plaintext: not dumpable (no
// same-user /proc/<pid>/{environ,mem} read, no ptrace attach) and no core file. Every function
// answers with a result: "unsupported" off Linux or when libc cannot be bound, never a throw,
// so kpm keeps working where the primitives are missing.
import { type ProcessLibc, processLibc, unsupportedReason } from "./process-binding.ts";

export const PR_SET_PDEATHSIG = 1;
export const PR_GET_PDEATHSIG = 2;
export const PR_GET_DUMPABLE = 3;
export const PR_SET_DUMPABLE = 4;
export const PR_SET_NO_NEW_PRIVS = 38;
export const PR_GET_NO_NEW_PRIVS = 39;
export const RLIMIT_CORE = 4;
export const RLIMIT_NOFILE = 7;

export type LibcResult<T = true> = { ok: true; value: T } | { ok: false; reason: string };

/** A resource limit; RLIM_INFINITY is 2^64 - 1. */
export interface ResourceLimit {
  soft: bigint;
  hard: bigint;
}

export function withLibc<T>(use: (libc: ProcessLibc) => LibcResult<T>): LibcResult<T> {
  const libc = processLibc();
  return libc ? use(libc) : { ok: false, reason: `unsupported: ${unsupportedReason()}` };
}

export function failed(libc: ProcessLibc, call: string): { ok: false; reason: string } {
  return { ok: false, reason: `${call} failed (errno ${libc.errno()})` };
}

/** prctl(2) with at most one integer argument: its result (≥ 0), or why it failed. */
export function prctl(option: number, argument: number | bigint = 0): LibcResult<number> {
  return withLibc((libc) => {
    const result = libc.prctl(option, argument, 0, 0, 0);
    return result < 0 ? failed(libc, `prctl option ${option}`) : { ok: true, value: result };
  });
}

/** PR_GET_DUMPABLE: whether same-user processes may read this one's memory and environment. */
export function getDumpable(): LibcResult<boolean> {
  const result = prctl(PR_GET_DUMPABLE);
  return result.ok ? { ok: true, value: result.value === 1 } : result;
}

export function setDumpable(dumpable: boolean): LibcResult {
  const result = prctl(PR_SET_DUMPABLE, dumpable ? 1 : 0);
  return result.ok ? { ok: true, value: true } : result;
}

export function getResourceLimit(resource: number): LibcResult<ResourceLimit> {
  return withLibc((libc) => {
    const buffer = new Uint8Array(libc.rlimit.size);
    if (libc.getrlimit(resource, buffer) !== 0) return failed(libc, "getrlimit");
    const view = new DataView(buffer.buffer);
    return {
      ok: true,
      value: {
        soft: view.getBigUint64(libc.rlimit.soft, true),
        hard: view.getBigUint64(libc.rlimit.hard, true),
      },
    };
  });
}

export function setResourceLimit(resource: number, limit: ResourceLimit): LibcResult {
  return withLibc((libc) => {
    const buffer = new Uint8Array(libc.rlimit.size);
    const view = new DataView(buffer.buffer);
    view.setBigUint64(libc.rlimit.soft, limit.soft, true);
    view.setBigUint64(libc.rlimit.hard, limit.hard, true);
    return libc.setrlimit(resource, buffer) === 0 ? { ok: true, value: true } : failed(libc, "setrlimit");
  });
}

/**
 * Not dumpable, and a core size limit of 0: no core file, and other processes of the same user
 * can no longer read /proc/<pid>/environ or /proc/<pid>/mem or attach a debugger. Only the soft
 * core limit drops (the hard one stays), so a child that wants core files may raise it again.
 */
export function hardenProcess(): LibcResult {
  const dumpable = setDumpable(false);
  if (!dumpable.ok) return dumpable;
  const core = getResourceLimit(RLIMIT_CORE);
  if (!core.ok) return core;
  return setResourceLimit(RLIMIT_CORE, { soft: 0n, hard: core.value.hard });
}
