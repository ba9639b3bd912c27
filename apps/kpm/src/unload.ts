// `kpm env --unload` (§8.1): stop this shell's session listeners and print the unset lines. "This
// shell's" means every session named in its environment plus every listener it owns
// (docs/sessions.md), so a shell that lost its variables can still end its listeners.
import { basename } from "node:path";
import { findListenerSocket, stopListener, stopOwnedListeners } from "@kpm/session";
import { writeStdout } from "./cli/io.ts";
import { plural } from "./cli/text.ts";
import type { KpmContext } from "./context.ts";
import { type ListenerFlags, listenerOwnership } from "./env-ownership.ts";
import { runtimeDirFor } from "./listener-client.ts";
import { managedBlobs } from "./managed-env.ts";

// KPM_LOADED is the shell-init hook's "secrets are loaded": after an unload they are not.
const SESSION_VARIABLES = ["KPM_SESSION", "KPM_DECRYPT_SOCK", "KPM_TEMPLATE", "KPM_LOADED"];

export async function unloadSessions(ctx: KpmContext, flags: ListenerFlags): Promise<number> {
  const runtimeDir = runtimeDirFor(ctx.env);
  const blobs = managedBlobs(ctx.env);
  const sessions = new Set(blobs.map((blob) => blob.sessionId));
  if (ctx.env.KPM_SESSION) sessions.add(ctx.env.KPM_SESSION);
  let stopped = 0;
  for (const sessionId of sessions) {
    const socket = findListenerSocket(sessionId, ctx.env, runtimeDir);
    if (socket && (await stopListener(runtimeDir, sessionId, socket))) stopped++;
  }
  const { owner } = listenerOwnership(flags);
  stopped += (await stopOwnedListeners(runtimeDir, owner, { replaceableOnly: false })).length;
  const fish = basename(ctx.env.SHELL ?? "") === "fish";
  const names = blobs.map((blob) => blob.name);
  const lines = fish
    ? [...names, ...SESSION_VARIABLES].map((name) => `set -e ${name}`)
    : [...names.map((name) => `unset ${name}`), `unset ${SESSION_VARIABLES.join(" ")}`];
  ctx.log.info(`✓ Stopped ${plural(stopped, "session listener")}`);
  await writeStdout(`${lines.join("\n")}\n`);
  return 0;
}
