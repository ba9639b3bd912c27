// Doctor: the decrypt listeners this shell relies on (KPM_SESSION, KPM_DECRYPT_SOCK and the session
// of every ENC[kpm…] variable): is the socket there, private to us, and answering for its session?
import { checkSocketPath, findListenerSocket, pingListener, SessionError } from "@kpm/session/client";
import { formatDuration } from "../commands/show.ts";
import { runtimeDirFor } from "../listener-client.ts";
import { managedBlobs } from "../managed-env.ts";
import type { Env } from "../paths.ts";
import { type CheckResult, type DoctorCheck, result } from "./check.ts";

const RELOAD_FIX = 'kpm env --unload, then eval "$(kpm env --output shell)" to load a new session';

export const checkListeners: DoctorCheck = async (ctx) => {
  const env = ctx.env;
  const blobs = managedBlobs(env);
  const sessions = [...new Set([env.KPM_SESSION, ...blobs.map((blob) => blob.sessionId)])].filter(
    (id): id is string => id !== undefined && id !== "",
  );
  if (sessions.length === 0) {
    const socket = env.KPM_DECRYPT_SOCK;
    if (!socket) return [result("listener", "listeners", "ok", "none in this shell (no kpm env loaded)")];
    return [await checkSocket(`listener ${socket}`, socket, undefined, 0)];
  }
  const lines: CheckResult[] = [];
  for (const sessionId of sessions) {
    const variables = blobs.filter((blob) => blob.sessionId === sessionId).length;
    lines.push(await checkSession(env, sessionId, variables));
  }
  return lines;
};

async function checkSession(env: Env, sessionId: string, variables: number): Promise<CheckResult> {
  const label = `listener ${sessionId}`;
  const socket = findListenerSocket(sessionId, env, () => runtimeDirFor(env));
  if (socket === null) {
    return result("listener", label, "fail", "not running (its key expired or it was stopped)", RELOAD_FIX);
  }
  return checkSocket(label, socket, sessionId, variables);
}

async function checkSocket(
  label: string,
  socket: string,
  sessionId: string | undefined,
  variables: number,
): Promise<CheckResult> {
  try {
    checkSocketPath(socket);
  } catch (error) {
    if (error instanceof SessionError && error.code === "no_listener") {
      return result("listener", label, "fail", `not running (${socket} is gone)`, RELOAD_FIX);
    }
    return result("listener", label, "fail", (error as Error).message, RELOAD_FIX);
  }
  const ping = await pingListener(socket);
  if (ping === null) return result("listener", label, "fail", `${socket} does not answer`, RELOAD_FIX);
  if (sessionId !== undefined && ping.session !== sessionId) {
    return result("listener", label, "fail", `${socket} answers for session ${ping.session}`, RELOAD_FIX);
  }
  const mode = ping.strict
    ? "strict (no key on the client)"
    : ping.expires_at
      ? `key expires in ${formatDuration(Math.max(0, Math.floor((Date.parse(ping.expires_at) - Date.now()) / 1000)))}`
      : "no expiry";
  const count = variables === 1 ? "1 variable" : `${variables} variables`;
  return result("listener", label, "ok", `answering at ${socket}, ${mode}, ${count}`);
}
