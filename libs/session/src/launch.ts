// Starting a session's listener from `kpm env` (spec §7.4 steps 1, 2 and 4): a detached kpm
// process with a minimal environment; the key travels only over its stdin pipe.
import { join } from "node:path";
import * as z from "zod/mini";
import { daemonEnvironment } from "./daemon.ts";
import { withDeadline } from "./deadline.ts";
import { SessionError } from "./error.ts";
import { pathExists } from "./path-exists.ts";
import { currentUid, ensureRuntimeDir, resolveRuntimeDir } from "./runtime-dir.ts";
import { cleanupStaleSessions, sessionRecordPath } from "./session-record.ts";
import { MAX_SOCKET_PATH_BYTES } from "./socket-path.ts";
import { encodeStartMessage, type ListenerStart } from "./start-message.ts";

export type { ListenerStart } from "./start-message.ts";

export const READY_TIMEOUT_MS = 3000;
const TERMINATE_GRACE_MS = 500;
const MAX_READY_LINE_BYTES = 64 * 1024;

const readySchema = z.union([
  z.object({ ready: z.literal(true), pid: z.int().check(z.positive()) }),
  z.object({ ready: z.literal(false), error: z.string() }),
]);

export interface LaunchOptions {
  /** argv prefix that runs kpm itself, e.g. [process.execPath]; "_listen --session <sid>" is appended. */
  command: string[];
  runtimeDir: string;
  start: ListenerStart;
  env: Record<string, string | undefined>;
}

/**
 * Starts the listener and waits for it to report ready. A default-mode `start.sessionKey` is
 * zeroed once it has been handed over. Throws SessionError: "sid_taken" (pick a new session
 * id), "socket_path_too_long", "runtime_dir*", or "listener_start".
 */
export async function launchListener(options: LaunchOptions): Promise<{ pid: number; socket: string }> {
  const { runtimeDir, start } = options;
  const childEnv = daemonEnvironment(options.env);
  // The listener resolves <RuntimeDir> itself and refuses (silently) any other socket path.
  const childRuntimeDir = resolveRuntimeDir(childEnv, currentUid());
  if (childRuntimeDir !== runtimeDir) {
    throw new SessionError(
      "listener_start",
      `decrypt listener failed to start: its runtime directory would be ${childRuntimeDir}, not ${runtimeDir}`,
    );
  }
  ensureRuntimeDir(runtimeDir);
  const socketPath = socketPathFor(runtimeDir, start.sessionId);
  cleanupStaleSessions(runtimeDir);
  if (pathExists(socketPath) || pathExists(sessionRecordPath(runtimeDir, start.sessionId))) {
    throw new SessionError("sid_taken", `session ${start.sessionId} already has files in ${runtimeDir}`);
  }

  const child = Bun.spawn([...options.command, "_listen", "--session", start.sessionId], {
    cwd: runtimeDir,
    env: childEnv,
    stdin: "pipe",
    stdout: "pipe",
    stderr: "ignore",
    detached: true,
  });

  const message = encodeStartMessage(start, socketPath);
  try {
    child.stdin.write(message);
    await child.stdin.end();
  } catch {
    // The child died before reading: its exit is reported below as a start failure.
  } finally {
    message.fill(0);
    if (start.mode === "default") start.sessionKey.fill(0);
  }

  const reader = child.stdout.getReader();
  const outcome = await withDeadline(readReadyLine(reader), READY_TIMEOUT_MS, () => ({
    failure: `timed out after ${READY_TIMEOUT_MS / 1000}s`,
  }));
  reader.cancel().catch(() => {});

  if ("failure" in outcome) {
    await terminate(child);
    throw new SessionError("listener_start", `decrypt listener failed to start: ${outcome.failure}`);
  }
  // The listener must outlive `kpm env`, which exits right after printing.
  child.unref();
  return { pid: outcome.pid, socket: socketPath };
}

async function readReadyLine(reader: {
  read(): Promise<{ done: boolean; value?: Uint8Array | undefined }>;
}): Promise<{ pid: number } | { failure: string }> {
  const decoder = new TextDecoder();
  let text = "";
  for (;;) {
    const chunk = await reader.read().catch(() => null);
    if (chunk === null) return { failure: "could not read its status" };
    if (chunk.done || chunk.value === undefined) return { failure: "it exited without reporting ready" };
    text += decoder.decode(chunk.value, { stream: true });
    const newline = text.indexOf("\n");
    if (newline !== -1) return interpretReadyLine(text.slice(0, newline));
    if (text.length > MAX_READY_LINE_BYTES) return { failure: "unexpected status output" };
  }
}

function interpretReadyLine(line: string): { pid: number } | { failure: string } {
  let parsed: z.infer<typeof readySchema>;
  try {
    parsed = readySchema.parse(JSON.parse(line));
  } catch {
    return { failure: "unexpected status output" };
  }
  return parsed.ready ? { pid: parsed.pid } : { failure: parsed.error };
}

/** SIGTERM lets a half-started listener remove its socket; SIGKILL if it does not exit. */
async function terminate(child: Bun.Subprocess): Promise<void> {
  child.kill("SIGTERM");
  const exited = await withDeadline(
    child.exited.then(() => true),
    TERMINATE_GRACE_MS,
    () => false,
  );
  if (!exited) {
    child.kill("SIGKILL");
    await child.exited;
  }
}

/** <RuntimeDir>/<sid>.sock, refused beyond the portable sun_path limit (§7.3). */
function socketPathFor(runtimeDir: string, sessionId: string): string {
  const socketPath = join(runtimeDir, `${sessionId}.sock`);
  const bytes = Buffer.byteLength(socketPath);
  if (bytes > MAX_SOCKET_PATH_BYTES) {
    throw new SessionError(
      "socket_path_too_long",
      `socket path too long (${bytes} bytes, max ${MAX_SOCKET_PATH_BYTES}): ${socketPath}; set XDG_RUNTIME_DIR or TMPDIR to a shorter directory`,
    );
  }
  return socketPath;
}
