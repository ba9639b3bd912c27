// Shared end-to-end harness: an isolated HOME/TMPDIR per test file, the real CLI spawned from
// source (or the compiled dist/kpm), and a real `kpm dev serve` child on an ephemeral port.
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { join, resolve } from "node:path";
import { enroll, setDevSecret } from "@kpm/agentkms-dev";
import { isPidAlive } from "@kpm/libc";
import { type ProcessOutput, runToEnd } from "./run-to-end.ts";

export const REPO_ROOT = resolve(import.meta.dir, "../..");
export const KPM_ENTRY = join(REPO_ROOT, "apps/kpm/src/main.ts");
export const KPM_BINARY = join(REPO_ROOT, "dist/kpm");

/** A throwaway HOME and TMPDIR under a short /tmp path (listener sockets must stay ≤ 103 bytes). */
export interface Sandbox {
  root: string;
  home: string;
  tmp: string;
  /** `<tmp>/kpm-<uid>`: where listeners put their sockets and session records. */
  runtimeDir: string;
  /** The minimal environment every kpm process of this sandbox starts from. */
  env: Record<string, string>;
  /**
   * A stand-in for a separate interactive shell: the pid to pass as `kpm env --shell-pid`, so a
   * session is neither replaced by other loads of the test runner nor stopped with them.
   * Killed by cleanup(), which makes its listeners exit too.
   */
  standInShell(): number;
  cleanup(): void;
}

export function createSandbox(): Sandbox {
  const root = mkdtempSync("/tmp/kt-");
  const home = join(root, "h");
  const tmp = join(root, "t");
  mkdirSync(home, { mode: 0o700 });
  mkdirSync(tmp, { mode: 0o700 });
  const runtimeDir = join(tmp, `kpm-${process.getuid?.() ?? 0}`);
  const env: Record<string, string> = {
    HOME: home,
    TMPDIR: tmp,
    PATH: process.env.PATH ?? "/usr/local/bin:/usr/bin:/bin",
    USER: process.env.USER ?? "root",
    LANG: "C.UTF-8",
    // The per-user agent would outlive each command and change what the server sees (one vend for
    // many gets): the e2e files test the direct path; test/agent.e2e.test.ts turns it on.
    KPM_NO_AGENT: "1",
  };
  const shells: Bun.Subprocess[] = [];
  return {
    root,
    home,
    tmp,
    runtimeDir,
    env,
    standInShell() {
      const shell = Bun.spawn(["sleep", "3600"], { stdin: "ignore", stdout: "ignore", stderr: "ignore" });
      shells.push(shell);
      return shell.pid;
    },
    cleanup() {
      for (const shell of shells.splice(0)) shell.kill("SIGKILL");
      const stopped = [...stopListeners(runtimeDir), ...stopAgent(runtimeDir)];
      // A listener removes its socket and record as it exits: wait for it (bounded), so the removal
      // below does not race it (an entry created mid-removal left the whole sandbox behind).
      const deadline = Date.now() + 3000;
      while (stopped.some(isPidAlive) && Date.now() < deadline) Bun.sleepSync(20);
      rmSync(root, { recursive: true, force: true, maxRetries: 5, retryDelay: 50 });
    },
  };
}

export type KpmResult = ProcessOutput;

export interface KpmRunOptions {
  env: Record<string, string | undefined>;
  cwd?: string;
  input?: string;
  /** Run the compiled dist/kpm instead of the sources. */
  binary?: boolean;
}

/** The argv prefix that starts kpm (from source under this Bun, or the compiled binary). */
export function kpmCommand(binary = false): string[] {
  return binary ? [KPM_BINARY] : [process.execPath, KPM_ENTRY];
}

/** Runs kpm to completion with exactly `opts.env` (nothing inherited from the test runner). */
export async function runKpmProcess(args: string[], opts: KpmRunOptions): Promise<KpmResult> {
  return runToEnd([...kpmCommand(opts.binary), ...args], {
    env: opts.env,
    cwd: opts.cwd ?? opts.env.HOME ?? REPO_ROOT,
    input: opts.input,
  });
}

export interface ClientFiles {
  cert: string;
  key: string;
  ca: string;
}

export interface DevServerOptions {
  /** AgentKMS policy YAML (wire §3.2); omitted → the built-in dev-allow-all policy. */
  policy?: string;
  /** Fixed port (restarts reuse the bound one); default 0 = ephemeral. */
  port?: number;
  /** Reuse an enrolled data dir instead of creating one. */
  dir?: string;
  /** Seconds of session-token lifetime (`--token-ttl`). */
  tokenTtl?: number;
  /** Seconds between two vends of one credential to one caller (`--rate-limit`; kpm's default 0). */
  rateLimit?: number;
}

export interface TestDevServer {
  dir: string;
  /** `https://127.0.0.1:<port>` */
  addr: string;
  port: number;
  clientFiles: ClientFiles;
  auditPath: string;
  stop(): Promise<void>;
  /** Stops the server and deletes the data dir if this helper created it (not on stop(): tests
   * still read the audit log or use the client files of a stopped server). */
  remove(): Promise<void>;
  /** Stops the server and starts a new process on the same dir and port (new token key). */
  restart(opts?: { policy?: string }): Promise<void>;
}

const LISTENING = /listening on https:\/\/127\.0\.0\.1:(\d+)/;

/** A fresh enrolled dir and a `kpm dev serve` child (from source) on 127.0.0.1. */
export async function startDevServerForTest(opts: DevServerOptions = {}): Promise<TestDevServer> {
  const dir = opts.dir ?? mkdtempSync("/tmp/kd-");
  if (!existsSync(join(dir, "ca.crt"))) await enroll(dir);
  let child = await spawnServer(dir, opts.port ?? 0, opts.policy, opts.tokenTtl, opts.rateLimit);
  const server: TestDevServer = {
    dir,
    addr: `https://127.0.0.1:${child.port}`,
    port: child.port,
    clientFiles: {
      cert: join(dir, "clients/forge-gateway/client.crt"),
      key: join(dir, "clients/forge-gateway/client.key"),
      ca: join(dir, "clients/forge-gateway/ca.crt"),
    },
    auditPath: join(dir, "audit.ndjson"),
    async stop() {
      child.process.kill("SIGTERM");
      await child.process.exited;
    },
    async remove() {
      await server.stop();
      if (opts.dir === undefined) rmSync(dir, { recursive: true, force: true });
    },
    async restart(next = {}) {
      await server.stop();
      child = await spawnServer(dir, server.port, next.policy, opts.tokenTtl, opts.rateLimit);
    },
  };
  return server;
}

interface ServerChild {
  process: Bun.Subprocess<"ignore", "pipe", "pipe">;
  port: number;
}

async function spawnServer(
  dir: string,
  port: number,
  policy: string | undefined,
  tokenTtl: number | undefined,
  rateLimit?: number,
): Promise<ServerChild> {
  const args = ["dev", "serve", "--dir", dir, "--addr", `127.0.0.1:${port}`];
  if (policy !== undefined) {
    const policyPath = join(dir, `policy-${Date.now()}-${Math.random().toString(16).slice(2)}.yaml`);
    writeFileSync(policyPath, policy, { mode: 0o600 });
    args.push("--policy", policyPath);
  }
  if (tokenTtl !== undefined) args.push("--token-ttl", String(tokenTtl));
  if (rateLimit !== undefined) args.push("--rate-limit", String(rateLimit));
  const child = Bun.spawn([...kpmCommand(false), ...args], {
    env: { PATH: process.env.PATH ?? "/usr/bin:/bin", HOME: dir, LANG: "C.UTF-8" },
    cwd: dir,
    stdin: "ignore",
    stdout: "pipe",
    stderr: "pipe",
  });
  const stderr = new Response(child.stderr).text();
  const reader = child.stdout.getReader();
  const decoder = new TextDecoder();
  let seen = "";
  for (;;) {
    const { done, value } = await reader.read();
    if (done) {
      throw new Error(`kpm dev serve exited before listening: ${seen}${await stderr}`);
    }
    seen += decoder.decode(value, { stream: true });
    const match = LISTENING.exec(seen);
    if (match?.[1]) {
      // Keep draining the per-request log so a full pipe never stalls the server.
      void (async () => {
        while (!(await reader.read()).done) {}
      })();
      return { process: child, port: Number(match[1]) };
    }
  }
}

/** `<home>/.config/kpm/config.yaml` naming the server and its client files, plus extra lines. */
export function writeKpmConfig(
  home: string,
  server: { addr: string; clientFiles: ClientFiles },
  extra: Record<string, string | number> = {},
): string {
  const configDir = join(home, ".config/kpm");
  mkdirSync(configDir, { recursive: true, mode: 0o700 });
  const lines = [
    `server: ${server.addr}`,
    `cert: ${server.clientFiles.cert}`,
    `key: ${server.clientFiles.key}`,
    `ca: ${server.clientFiles.ca}`,
    ...Object.entries(extra).map(([name, value]) => `${name}: ${value}`),
  ];
  const path = join(configDir, "config.yaml");
  writeFileSync(path, `${lines.join("\n")}\n`, { mode: 0o600 });
  return path;
}

/** Stores a credential-namespace secret (`llm/<provider>`, `generic/<path>`) in the dev store. */
export async function seedCredential(
  dir: string,
  path: string,
  fields: Record<string, string>,
): Promise<void> {
  await setDevSecret(dir, path, fields);
}

export interface Fixture {
  server: TestDevServer;
  sandbox: Sandbox;
  /** Stops the sandbox's listeners, removes it, and stops and removes the server. */
  close(): Promise<void>;
}

/**
 * A dev server on an ephemeral port with `credentials` seeded (store path → fields) and a
 * sandbox whose config.yaml points at it: the setup the encrypted-environment e2e files share.
 */
export async function startFixture(
  credentials: Record<string, Record<string, string>> = {},
  opts: DevServerOptions = {},
): Promise<Fixture> {
  const server = await startDevServerForTest(opts);
  for (const [path, fields] of Object.entries(credentials)) await seedCredential(server.dir, path, fields);
  const sandbox = createSandbox();
  writeKpmConfig(sandbox.home, server);
  return {
    server,
    sandbox,
    async close() {
      sandbox.cleanup();
      await server.remove();
    },
  };
}

export interface AuditEvent {
  operation: string;
  key_id?: string;
  outcome: string;
  rule_id?: string;
  deny_reason?: string;
  [field: string]: unknown;
}

/** Every event of the server's audit log so far (written before each response, wire §4.1). */
export function readAuditEvents(server: { auditPath: string }): AuditEvent[] {
  if (!existsSync(server.auditPath)) return [];
  return readFileSync(server.auditPath, "utf8")
    .split("\n")
    .filter((line) => line.length > 0)
    .map((line) => JSON.parse(line) as AuditEvent);
}

/** The key ids the server vended among `events`, sorted (a key vended twice is listed twice). */
export function vendedKeys(events: AuditEvent[]): string[] {
  return events
    .filter((event) => event.operation === "credential_vend")
    .map((event) => event.key_id ?? "")
    .sort();
}

/** Every regular file below `dir`, recursively (to search a sandbox or server dir for a planted value). */
export function filesUnder(dir: string): string[] {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile())
    .map((entry) => join(entry.parentPath, entry.name));
}

/** SIGTERM every listener that has a session record in `runtimeDir` (test cleanup); returns their pids. */
export function stopListeners(runtimeDir: string): number[] {
  const signalled: number[] = [];
  if (!existsSync(runtimeDir)) return signalled;
  for (const name of readdirSync(runtimeDir)) {
    if (!name.endsWith(".json")) continue;
    try {
      const record = JSON.parse(readFileSync(join(runtimeDir, name), "utf8")) as { pid?: number };
      if (typeof record.pid === "number") {
        process.kill(record.pid, "SIGTERM");
        signalled.push(record.pid);
      }
    } catch {
      // Already gone, or a half-written record: nothing left to stop.
    }
  }
  return signalled;
}

/** SIGTERM the agent whose pid file is in `runtimeDir` (test cleanup); returns its pid. */
export function stopAgent(runtimeDir: string): number[] {
  try {
    const pid = Number(readFileSync(join(runtimeDir, "agent.pid"), "utf8").trim());
    if (!Number.isSafeInteger(pid) || pid <= 0) return [];
    process.kill(pid, "SIGTERM");
    return [pid];
  } catch {
    return [];
  }
}

/** Parses the `NAME=value` lines `env` prints (a stub tool's environment) into a map. */
export function parseEnvLines(output: string): Record<string, string> {
  const env: Record<string, string> = {};
  for (const line of output.split("\n")) {
    const equals = line.indexOf("=");
    if (equals > 0) env[line.slice(0, equals)] = line.slice(equals + 1);
  }
  return env;
}

/** Parses `export NAME='value'` lines of `kpm env --output shell` into an environment map. */
export function parseShellExports(output: string): Record<string, string> {
  const env: Record<string, string> = {};
  for (const line of output.split("\n")) {
    const match = /^export ([A-Za-z_][A-Za-z0-9_]*)='(.*)'$/.exec(line);
    if (match?.[1] !== undefined && match[2] !== undefined) env[match[1]] = match[2].replaceAll("'\\''", "'");
  }
  return env;
}
