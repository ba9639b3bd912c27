// Which socket serves a blob's session (spec §7.6): the shell's own session first, then the
// per-session socket in <RuntimeDir>, so blobs of a second session in one shell still work.
import { join } from "node:path";
import { pathExists } from "./path-exists.ts";
import { isValidSessionId } from "./session-id.ts";

export function findListenerSocket(
  sessionId: string,
  env: Record<string, string | undefined>,
  runtimeDir: string,
): string | null {
  const shellSocket = env.KPM_DECRYPT_SOCK;
  const shellSession = env.KPM_SESSION;
  if (shellSocket && (!shellSession || shellSession === sessionId)) return shellSocket;
  if (!isValidSessionId(sessionId)) return null;
  const socketPath = join(runtimeDir, `${sessionId}.sock`);
  return pathExists(socketPath) ? socketPath : null;
}
