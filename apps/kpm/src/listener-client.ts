// Decrypting a blob through its session's listener (§7.6, §8.2 reasons), for `run` env-scan
// mode and `decrypt`. Env-scan never uses key material of its own (§18.12).

import {
  checkSocketPath,
  findListenerSocket,
  requestDecrypt,
  resolveRuntimeDir,
  SessionError,
} from "@kpm/session/client";
import { reloadCommand } from "./env-output.ts";
import type { Env } from "./paths.ts";

export type ListenerDecrypt = { ok: true; plaintext: string } | { ok: false; reason: string };

export function runtimeDirFor(env: Env): string {
  return resolveRuntimeDir(env, process.getuid?.() ?? 0);
}

/** The reload hint names the template this shell loaded (KPM_TEMPLATE), when it is known. */
export function noListenerReason(sessionId: string, env: Env): string {
  return `no decrypt listener for session ${sessionId} (expired or not running); reload with: ${reloadCommand(env.KPM_TEMPLATE)}`;
}

export type ListenerLookup = { ok: true; socket: string } | { ok: false; reason: string };

/**
 * The session's listener socket after the §7.6 checks, or the reason it cannot be used. The
 * checks lstat through @kpm/libc: node:fs would cost ~1.5 ms of an env-scan `kpm run`.
 */
export function findCheckedListener(env: Env, sessionId: string): ListenerLookup {
  const socket = findListenerSocket(sessionId, env, () => runtimeDirFor(env));
  if (!socket) return { ok: false, reason: noListenerReason(sessionId, env) };
  try {
    checkSocketPath(socket);
  } catch (error) {
    if (error instanceof SessionError && error.code === "no_listener") {
      return { ok: false, reason: noListenerReason(sessionId, env) };
    }
    return { ok: false, reason: (error as Error).message };
  }
  return { ok: true, socket };
}

/** One decrypt request to a listener found by findCheckedListener. */
export async function decryptAt(
  socket: string,
  blob: string,
  sessionId: string,
  env: Env,
): Promise<ListenerDecrypt> {
  try {
    const result = await requestDecrypt(socket, blob);
    return result.ok ? result : { ok: false, reason: result.error };
  } catch (error) {
    if (error instanceof SessionError && (error.code === "no_listener" || error.code === "connect")) {
      return { ok: false, reason: noListenerReason(sessionId, env) };
    }
    return { ok: false, reason: (error as Error).message };
  }
}
