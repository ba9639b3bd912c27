// `<dir>/server.json` — which process serves a dev dir and where (cli §15.1), for `kpm dev serve/status/stop`.
import { closeSync, fsyncSync, openSync, readFileSync, renameSync, unlinkSync, writeSync } from "node:fs";
import { join } from "node:path";
import * as z from "zod/mini";

const serverStateSchema = z.object({
  pid: z.int().check(z.positive()),
  addr: z.string(),
  dir: z.string(),
  started_at: z.string(),
});

export type ServerState = z.infer<typeof serverStateSchema>;

export function serverStatePath(dir: string): string {
  return join(dir, "server.json");
}

/** Atomically replaces server.json (mode 0600), so readers never see half a file. */
export function writeServerState(dir: string, state: ServerState): void {
  const file = serverStatePath(dir);
  const tmp = `${file}.${process.pid}.tmp`;
  const fd = openSync(tmp, "w", 0o600);
  try {
    writeSync(fd, `${JSON.stringify(state)}\n`);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(tmp, file);
}

/** The recorded state, or null when there is none or it is unreadable (a crashed writer is not an error). */
export function readServerState(dir: string): ServerState | null {
  let text: string;
  try {
    text = readFileSync(serverStatePath(dir), "utf8");
  } catch {
    return null;
  }
  try {
    const parsed = serverStateSchema.safeParse(JSON.parse(text));
    return parsed.success ? parsed.data : null;
  } catch {
    return null;
  }
}

/** Removes server.json only if it still names `pid`: a newer server's record must survive an old one's exit. */
export function removeServerState(dir: string, pid: number): void {
  const state = readServerState(dir);
  if (state !== null && state.pid !== pid) return;
  try {
    unlinkSync(serverStatePath(dir));
  } catch {
    // Already gone: nothing to clean up.
  }
}
