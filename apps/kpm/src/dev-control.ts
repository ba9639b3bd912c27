// Starting, probing and stopping a detached `kpm dev serve` (spec §14 steps 2–3, §15.2).
import { closeSync, fstatSync, openSync, readFileSync } from "node:fs";
import { join } from "node:path";
import {
  clientFiles,
  type ListenAddress,
  parseListenAddress,
  readServerState,
  type ServerState,
} from "@kpm/agentkms-dev";
import { isPidAlive } from "@kpm/libc";
import { CliError } from "./cli/errors.ts";
import { selfCommand } from "./self.ts";

const PROBE_INTERVAL_MS = 100;
const PROBE_TIMEOUT_MS = 2_000;
const HEALTH_DEADLINE_MS = 10_000;

/** GET /healthz over mTLS with the dev client certificate; false on any failure. */
export async function probeHealth(
  devDir: string,
  addr: string,
  timeoutMs = PROBE_TIMEOUT_MS,
): Promise<boolean> {
  try {
    const { createClient } = await import("@kpm/agentkms-client");
    const client = createClient({ server: `https://${addr}`, ...clientFiles(devDir), timeoutMs });
    try {
      return await client.healthz();
    } finally {
      client.close();
    }
  } catch {
    return false;
  }
}

export function runningServer(devDir: string): ServerState | null {
  const state = readServerState(devDir);
  return state && isPidAlive(state.pid) && isDevServerProcess(state.pid) ? state : null;
}

/**
 * Guards `dev stop` against a recycled PID in a stale server.json: where /proc exists, the
 * process must be a `… dev serve …` command before kpm trusts (and signals) it.
 */
function isDevServerProcess(pid: number): boolean {
  let argv: string[];
  try {
    argv = readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0");
  } catch {
    return true; // no /proc (macOS): rely on the record alone
  }
  const dev = argv.indexOf("dev");
  return dev !== -1 && argv[dev + 1] === "serve";
}

export interface DetachOptions {
  devDir: string;
  addr: string;
  extraArgs?: string[];
}

/**
 * Starts `kpm dev serve` in a new session with stdin closed and output appended to server.log,
 * then waits for its server.json and a healthy /healthz. Returns the state, or an error text.
 */
export async function startDetached(
  opts: DetachOptions,
): Promise<{ ok: true; state: ServerState } | { ok: false; pid?: number; reason: string }> {
  const logPath = join(opts.devDir, "server.log");
  const log = openSync(logPath, "a", 0o600);
  // Where this run's output starts, so a startup failure can quote the child's own error line.
  const logStart = fstatSync(log).size;
  let child: ReturnType<typeof Bun.spawn>;
  try {
    child = Bun.spawn(
      [
        ...selfCommand(),
        "dev",
        "serve",
        "--dir",
        opts.devDir,
        "--addr",
        opts.addr,
        ...(opts.extraArgs ?? []),
      ],
      { stdin: "ignore", stdout: log, stderr: log, detached: true, env: process.env },
    );
  } finally {
    closeSync(log);
  }
  child.unref();
  const deadline = Date.now() + HEALTH_DEADLINE_MS;
  let exited = false;
  void child.exited.then(() => {
    exited = true;
  });
  while (Date.now() < deadline) {
    if (exited) return { ok: false, reason: startupError(logPath, logStart) };
    const state = readServerState(opts.devDir);
    if (state && state.pid === child.pid && (await probeHealth(opts.devDir, state.addr))) {
      return { ok: true, state };
    }
    await Bun.sleep(PROBE_INTERVAL_MS);
  }
  try {
    process.kill(child.pid, "SIGTERM");
  } catch {
    // already gone
  }
  return { ok: false, pid: child.pid, reason: "server did not become healthy within 10 seconds" };
}

/** The child's first `error: …` line written since `offset` (e.g. the port is taken), else a generic text. */
function startupError(logPath: string, offset: number): string {
  try {
    const written = readFileSync(logPath).subarray(offset).toString("utf8");
    const line = written.split("\n").find((candidate) => candidate.startsWith("error: "));
    if (line) return line.slice("error: ".length);
  } catch {
    // An unreadable log only costs the detail.
  }
  return "the dev server exited during startup";
}

/** SIGTERM and wait up to 10 s for the process to exit. */
export async function stopProcess(pid: number, waitMs = 10_000): Promise<boolean> {
  try {
    process.kill(pid, "SIGTERM");
  } catch {
    return !isPidAlive(pid);
  }
  const deadline = Date.now() + waitMs;
  while (Date.now() < deadline) {
    if (!isPidAlive(pid)) return true;
    await Bun.sleep(50);
  }
  return !isPidAlive(pid);
}

/** `--addr` of `dev serve` and `quickstart` as host and port, or the one usage error for both. */
export function listenAddress(addr: string): ListenAddress {
  const parsed = parseListenAddress(addr);
  if (parsed === null)
    throw new CliError(`error: invalid --addr "${addr}": use host:port (e.g. 127.0.0.1:8443)`);
  return parsed;
}
