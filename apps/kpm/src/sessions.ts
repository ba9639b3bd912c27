// Creating `kpm env` sessions (§7.1, §7.4): a fresh key and id, the blobs, and the listener that
// will decrypt them. A session id whose files already exist is never reused: pick another. Once
// the new listener is ready, the listeners it replaces in the same shell stop (docs/sessions.md).

import {
  type ListenerStart,
  launchListener,
  type OwnerProcess,
  SessionError,
  stopOwnedListeners,
} from "@kpm/session";
import {
  encryptValue,
  formatStrictBlob,
  generateSessionId,
  generateSessionKey,
  generateStrictSessionId,
} from "@kpm/strict-codec";
import type { KmsRef } from "@kpm/template/core";
import { toCliError } from "./cli/lib-errors.ts";
import type { KpmContext } from "./context.ts";
import { runtimeDirFor } from "./listener-client.ts";
import { selfCommand } from "./self.ts";

const SESSION_ID_ATTEMPTS = 5;

export interface StartedSession {
  sessionId: string;
  socket: string;
  blobs: string[];
}

/** The shell the listener exits with, and whether it replaces that shell's loaded listener. */
export interface Ownership {
  owner: OwnerProcess;
  replaceable: boolean;
}

async function launch(
  ctx: KpmContext,
  ownership: Ownership,
  build: () => ListenerStart,
): Promise<{ start: ListenerStart; socket: string }> {
  const runtimeDir = runtimeDirFor(ctx.env);
  for (let attempt = 0; ; attempt++) {
    const start = { ...build(), ...ownership };
    try {
      const { socket } = await launchListener({ command: selfCommand(), runtimeDir, start, env: ctx.env });
      // Only after the new one is ready: a failed load leaves the shell's current session working.
      if (ownership.replaceable) {
        await stopOwnedListeners(runtimeDir, ownership.owner, {
          replaceableOnly: true,
          keep: start.sessionId,
        });
      }
      return { start, socket };
    } catch (error) {
      if (error instanceof SessionError && error.code === "sid_taken" && attempt < SESSION_ID_ATTEMPTS)
        continue;
      throw toCliError(error);
    }
  }
}

export async function startDefaultSession(
  ctx: KpmContext,
  values: readonly string[],
  ownership: Ownership,
): Promise<StartedSession> {
  const config = await ctx.config();
  let blobs: string[] = [];
  const { start, socket } = await launch(ctx, ownership, () => {
    const sessionId = generateSessionId();
    const sessionKey = generateSessionKey();
    blobs = values.map((value) => encryptValue(sessionKey, sessionId, value));
    return { mode: "default", sessionId, ttlSeconds: config.sessionKeyTtl, sessionKey };
  });
  return { sessionId: start.sessionId, socket, blobs };
}

export async function startStrictSession(
  ctx: KpmContext,
  refs: readonly KmsRef[],
  ownership: Ownership,
): Promise<StartedSession> {
  const config = await ctx.config();
  const settings = await ctx.clientSettings();
  let blobs: string[] = [];
  const { start, socket } = await launch(ctx, ownership, () => {
    const sessionId = generateStrictSessionId();
    blobs = refs.map((ref) =>
      formatStrictBlob(sessionId, {
        Type: ref.type,
        Path: ref.path,
        Key: ref.key ?? "",
        Default: ref.default ?? "",
      }),
    );
    return {
      mode: "strict",
      sessionId,
      idleTimeoutSeconds: config.strictIdleTimeout,
      server: settings.server.replace(/\/$/, ""),
      clientCert: settings.cert,
      clientKey: settings.key,
      ca: settings.ca,
      refs: refs.map((ref) => ({
        Type: ref.type,
        Path: ref.path,
        Key: ref.key ?? "",
        Default: ref.default ?? null,
      })),
    };
  });
  return { sessionId: start.sessionId, socket, blobs };
}
