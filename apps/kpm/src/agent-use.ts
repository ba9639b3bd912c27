// How commands use the per-user agent (docs/agent.md): whether it is on, finding or starting it,
// and the client that sends reads over its socket and falls back to the direct path. Loads neither
// the TLS client nor zod: a warm `kpm get` is one request over a Unix socket.
import type { AgentChannel } from "@kpm/agent/client";
import type { AgentKmsClient, AgentKmsErrorCode } from "@kpm/agentkms-client/resolve";
import type { KpmConfig } from "./config-flat.ts";
import type { ClientSettings, KpmContext } from "./context.ts";
import type { Env } from "./paths.ts";
import { selfCommand } from "./self.ts";

/** `KPM_NO_AGENT=1` turns the agent off for one process tree, like `agent: false` in config. */
export const NO_AGENT_VARIABLE = "KPM_NO_AGENT";

/** Why the agent is not used, or null when it is on. */
export function agentOffReason(env: Env, config: KpmConfig): string | null {
  if (env[NO_AGENT_VARIABLE] === "1") return `${NO_AGENT_VARIABLE}=1`;
  if (!config.agent) return `agent: false in ${config.path}`;
  return null;
}

/** <RuntimeDir>/agent.sock after the socket checks of §7.6, or null when none can be used there. */
async function agentSocket(env: Env): Promise<{ runtimeDir: string; socketPath: string }> {
  const [{ agentSocketPath }, { resolveRuntimeDir }] = await Promise.all([
    import("@kpm/agent/client"),
    import("@kpm/session/client"),
  ]);
  const runtimeDir = resolveRuntimeDir(env, process.getuid?.() ?? 0);
  return { runtimeDir, socketPath: agentSocketPath(runtimeDir) };
}

/**
 * A connection to a running agent whose socket passes the checks, or null: blocking calls through
 * libc where they can be had (BlockingConnection, which also checks the peer's uid), else a Bun
 * socket.
 */
async function connect(socketPath: string, ctx: KpmContext): Promise<AgentChannel | null> {
  const [{ AgentConnection, BlockingConnection }, { checkSocketPath }] = await Promise.all([
    import("@kpm/agent/client"),
    import("@kpm/session/client"),
  ]);
  try {
    checkSocketPath(socketPath);
  } catch (error) {
    const code = (error as { code?: string }).code;
    if (code !== "no_listener") ctx.log.debug(`kpm: agent: ${(error as Error).message}`);
    return null;
  }
  // Where blocking connections can be made, a null is final: nothing listens, or the process
  // listening is not this user's (SO_PEERCRED), which a Bun socket could not tell.
  if (BlockingConnection.supported) return BlockingConnection.open(socketPath);
  return AgentConnection.open(socketPath);
}

/** Starts the agent unless one answers; its pid, or the reason it could not start. */
export async function startAgent(
  ctx: KpmContext,
  config: KpmConfig,
): Promise<{ ok: true; pid: number; started: boolean } | { ok: false; reason: string }> {
  const { socketPath } = await agentSocket(ctx.env);
  const { agentStatus, launchAgent } = await import("@kpm/agent/client");
  const running = await agentStatus(socketPath);
  if (running !== null) return { ok: true, pid: running.pid, started: false };
  const launched = await launchAgent({
    command: selfCommand(),
    env: ctx.env,
    idleTimeoutSeconds: config.agentIdleTimeout,
    cacheTtlSeconds: config.agentCacheTtl,
    config: ctx.configPath,
  });
  return launched.ok ? { ...launched, started: true } : launched;
}

/**
 * The client whose reads go through the agent, started on demand; null when the agent is off or
 * cannot be reached or started (the caller takes the direct path).
 */
export async function agentClient(
  ctx: KpmContext,
  settings: ClientSettings,
  direct: () => Promise<AgentKmsClient>,
): Promise<AgentKmsClient | null> {
  const config = await ctx.config();
  const off = agentOffReason(ctx.env, config);
  if (off !== null) return null;
  const { socketPath } = await agentSocket(ctx.env);
  let connection = await connect(socketPath, ctx);
  if (connection === null) {
    const started = await startAgent(ctx, config);
    if (!started.ok) {
      ctx.log.debug(`kpm: agent: could not start: ${started.reason}; using the direct path`);
      return null;
    }
    connection = await connect(socketPath, ctx);
    if (connection === null) return null;
  }
  const [{ remoteClient }, { AgentKmsError }] = await Promise.all([
    import("@kpm/agent/client"),
    import("@kpm/agentkms-client/resolve"),
  ]);
  return remoteClient({
    connection,
    settings,
    config: ctx.configPath,
    direct,
    rebuildError: (remote) =>
      new AgentKmsError(remote.code as AgentKmsErrorCode, remote.message, {
        ...(remote.status !== undefined ? { status: remote.status } : {}),
        ...(remote.serverCode !== undefined ? { serverCode: remote.serverCode } : {}),
        notFound: remote.notFound,
        denied: remote.denied,
      }),
    onFallback: (reason) => ctx.log.debug(`kpm: agent: ${reason}; using the direct path`),
  });
}

/** The direct client, whose successful writes also empty a running agent's cache (best effort). */
export function flushingWrites(ctx: KpmContext, client: AgentKmsClient): AgentKmsClient {
  const flush = async (): Promise<void> => {
    const { socketPath } = await agentSocket(ctx.env);
    const { signalAgent } = await import("@kpm/agent/client");
    await signalAgent(socketPath, "flush");
  };
  const afterWrite =
    <A extends unknown[], R>(write: (...args: A) => Promise<R>) =>
    async (...args: A): Promise<R> => {
      const result = await write(...args);
      await flush().catch(() => {});
      return result;
    };
  return {
    ...client,
    writeSecret: afterWrite(client.writeSecret),
    writeMetadata: afterWrite(client.writeMetadata),
    deleteSecret: afterWrite(client.deleteSecret),
  };
}
