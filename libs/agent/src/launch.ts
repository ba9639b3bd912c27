// Starting the agent on demand: a detached kpm process (`kpm _agent`) with a minimal environment,
// which binds <RuntimeDir>/agent.sock and reports one ready line on stdout.
import { daemonEnvironment } from "@kpm/session/daemon";

export const READY_TIMEOUT_MS = 3000;

export interface LaunchAgentOptions {
  /** argv prefix that runs kpm itself; "_agent" and the settings below are appended. */
  command: string[];
  env: Record<string, string | undefined>;
  idleTimeoutSeconds: number;
  cacheTtlSeconds: number;
  /** The config file the agent watches (exits when it changes). */
  config: string;
}

/** pid of the agent now serving: the one started, or the one that won a race to bind first. */
export type LaunchResult = { ok: true; pid: number } | { ok: false; reason: string };

export async function launchAgent(options: LaunchAgentOptions): Promise<LaunchResult> {
  const child = Bun.spawn(
    [
      ...options.command,
      "_agent",
      "--idle-timeout",
      String(options.idleTimeoutSeconds),
      "--cache-ttl",
      String(options.cacheTtlSeconds),
      "--config",
      options.config,
    ],
    {
      cwd: "/",
      env: daemonEnvironment(options.env),
      stdin: "ignore",
      stdout: "pipe",
      stderr: "ignore",
      detached: true,
    },
  );
  const timer = setTimeout(() => child.kill("SIGKILL"), READY_TIMEOUT_MS);
  let text: string;
  try {
    text = await readFirstLine(child.stdout);
  } finally {
    clearTimeout(timer);
  }
  const outcome = interpretReadyLine(text);
  // The agent outlives this kpm, which exits right after its command.
  if (outcome.ok) child.unref();
  return outcome;
}

export function interpretReadyLine(line: string): LaunchResult {
  let parsed: unknown;
  try {
    parsed = JSON.parse(line);
  } catch {
    return {
      ok: false,
      reason: line === "" ? "it exited without reporting ready" : "unexpected status output",
    };
  }
  const fields = (parsed ?? {}) as { ready?: unknown; pid?: unknown; error?: unknown };
  if (fields.ready === true && Number.isSafeInteger(fields.pid))
    return { ok: true, pid: fields.pid as number };
  return { ok: false, reason: typeof fields.error === "string" ? fields.error : "unexpected status output" };
}

async function readFirstLine(stream: ReadableStream<Uint8Array>): Promise<string> {
  const reader = stream.getReader();
  const decoder = new TextDecoder();
  let text = "";
  try {
    for (;;) {
      const chunk = await reader.read();
      if (chunk.done) return text;
      text += decoder.decode(chunk.value, { stream: true });
      const newline = text.indexOf("\n");
      if (newline !== -1) return text.slice(0, newline);
      if (text.length > 4096) return "";
    }
  } catch {
    return "";
  } finally {
    reader.cancel().catch(() => {});
  }
}
