// Which socket serves a blob's session (spec §7.6): the shell's own session first, then the
// per-session socket in <RuntimeDir>, so blobs of a second session in one shell still work.
import { join } from "@kpm/deferred/path";
import { pathExists } from "./path-exists.ts";
import { isValidSessionId } from "./session-id.ts";

/**
 * The socket path for `sessionId`, or null when there is none. `runtimeDir` may be a function,
 * called only when the session is not the shell's own.
 */
export function findListenerSocket(
  sessionId: string,
  env: Record<string, string | undefined>,
  runtimeDir: string | (() => string),
): string | null {
  const shellSocket = env.KPM_DECRYPT_SOCK;
  const shellSession = env.KPM_SESSION;
  if (shellSocket && (!shellSession || shellSession === sessionId)) return shellSocket;
  if (!isValidSessionId(sessionId)) return null;
  const directory = typeof runtimeDir === "function" ? runtimeDir() : runtimeDir;
  const socketPath = join(directory, `${sessionId}.sock`);
  return pathExists(socketPath) ? socketPath : null;
}
