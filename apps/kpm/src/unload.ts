// `kpm env --unload` (§8.1): stop this shell's session listeners and print the unset lines.
import { basename } from "node:path";
import { findListenerSocket, stopListener } from "@kpm/session";
import { writeStdout } from "./cli/io.ts";
import type { KpmContext } from "./context.ts";
import { runtimeDirFor } from "./listener-client.ts";
import { managedBlobs } from "./managed-env.ts";

export async function unloadSessions(ctx: KpmContext, _shellOutput: boolean): Promise<number> {
  const runtimeDir = runtimeDirFor(ctx.env);
  const blobs = managedBlobs(ctx.env);
  const sessions = new Set(blobs.map((blob) => blob.sessionId));
  if (ctx.env.KPM_SESSION) sessions.add(ctx.env.KPM_SESSION);
  let stopped = 0;
  for (const sessionId of sessions) {
    const socket = findListenerSocket(sessionId, ctx.env, runtimeDir);
    if (socket && (await stopListener(runtimeDir, sessionId, socket))) stopped++;
  }
  const fish = basename(ctx.env.SHELL ?? "") === "fish";
  const names = blobs.map((blob) => blob.name);
  const lines = fish
    ? [...names, "KPM_SESSION", "KPM_DECRYPT_SOCK"].map((name) => `set -e ${name}`)
    : [...names.map((name) => `unset ${name}`), "unset KPM_SESSION KPM_DECRYPT_SOCK"];
  ctx.log.info(`✓ Stopped ${stopped} session listener(s)`);
  await writeStdout(`${lines.join("\n")}\n`);
  return 0;
}
