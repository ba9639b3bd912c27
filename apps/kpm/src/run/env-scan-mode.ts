// Env-scan mode (§8.2): every blob in kpm's environment is decrypted through its session's
// listener; what cannot be decrypted is unset in the child, and the child still runs.
import { canPassInEnvironment, UNPASSABLE_VALUE } from "@kpm/agentkms-client/secret-value";
import type { KpmContext } from "../context.ts";
import { decryptAt, findCheckedListener, type ListenerLookup } from "../listener-client.ts";
import { blobLikeVariables } from "../managed-env.ts";
import { type ChildPlan, unsetLine } from "./plan.ts";

export async function planEnvScanRun(ctx: KpmContext): Promise<ChildPlan> {
  if (process.platform === "win32") {
    const { WINDOWS_LISTENER_ERROR } = await import("../windows-listener.ts");
    const { CliError } = await import("../cli/errors.ts");
    throw new CliError(WINDOWS_LISTENER_ERROR);
  }
  const env: Record<string, string | undefined> = { ...ctx.env };
  const variables = blobLikeVariables(ctx.env);
  // The socket lookup and its ownership checks run once per session, not once per blob.
  const listeners = new Map<string, ListenerLookup>();
  const listenerFor = (sessionId: string): ListenerLookup => {
    let lookup = listeners.get(sessionId);
    if (lookup === undefined) {
      lookup = findCheckedListener(ctx.env, sessionId);
      listeners.set(sessionId, lookup);
    }
    return lookup;
  };
  const outcomes = await Promise.all(
    variables.map(async ({ name, value, inspection }) => {
      if (!inspection.ok) return { name, ok: false as const, reason: inspection.error };
      const { sessionId } = inspection;
      const listener = listenerFor(sessionId);
      const result = listener.ok ? await decryptAt(listener.socket, value, sessionId, ctx.env) : listener;
      if (!result.ok) return { name, ok: false as const, reason: result.reason };
      if (!canPassInEnvironment(name, result.plaintext))
        return { name, ok: false as const, reason: UNPASSABLE_VALUE };
      return { name, ok: true as const, plaintext: result.plaintext, sessionId };
    }),
  );
  const secrets: string[] = [];
  const sessions = new Set<string>();
  let injected = 0;
  for (const outcome of outcomes) {
    if (outcome.ok) {
      env[outcome.name] = outcome.plaintext;
      secrets.push(outcome.plaintext);
      sessions.add(outcome.sessionId);
      injected++;
    } else {
      delete env[outcome.name];
      ctx.log.warn(unsetLine(outcome.name, outcome.reason));
    }
  }
  for (const sessionId of sessions) {
    const count = outcomes.filter((outcome) => outcome.ok && outcome.sessionId === sessionId).length;
    ctx.log.debug(`✓ Decrypted ${count} secrets from session ${sessionId}`);
  }
  return { env, secrets, injected };
}
