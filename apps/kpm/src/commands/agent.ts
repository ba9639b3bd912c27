// `kpm agent start|stop|status|flush` (docs/agent.md): the per-user agent that keeps one
// authenticated AgentKMS session and the values it vended, so reads cost one Unix-socket request.
import { asSubcommand, defineKpmCommand } from "../cli/command.ts";
import { CliError, UsageError } from "../cli/errors.ts";
import { writeStdout } from "../cli/io.ts";
import type { KpmContext } from "../context.ts";

async function socketPath(ctx: KpmContext): Promise<string> {
  const [{ agentSocketPath }, { runtimeDirFor }] = await Promise.all([
    import("@kpm/agent/client"),
    import("../listener-client.ts"),
  ]);
  return agentSocketPath(runtimeDirFor(ctx.env));
}

const start = defineKpmCommand({
  meta: { name: "start", description: "Start the agent (if it is not running)" },
  examples: [{ command: "kpm agent start" }],
  run: async ({ data: ctx }) => {
    const config = await ctx.config();
    const { agentOffReason, startAgent } = await import("../agent-use.ts");
    const off = agentOffReason(ctx.env, config);
    if (off !== null) throw new CliError([`error: the agent is turned off (${off})`, "see: docs/agent.md"]);
    const started = await startAgent(ctx, config);
    if (!started.ok) throw new CliError(`error: agent failed to start: ${started.reason}`);
    ctx.log.info(
      started.started
        ? `✓ Agent started (pid ${started.pid})`
        : `✓ Agent already running (pid ${started.pid})`,
    );
    return 0;
  },
});

const stop = defineKpmCommand({
  meta: { name: "stop", description: "Stop the agent; its cached values are gone" },
  examples: [{ command: "kpm agent stop" }],
  run: async ({ data: ctx }) => {
    const { signalAgent } = await import("@kpm/agent/client");
    const stopped = await signalAgent(await socketPath(ctx), "stop");
    ctx.log.info(stopped ? "✓ Agent stopped" : "No agent running");
    return 0;
  },
});

const flush = defineKpmCommand({
  meta: { name: "flush", description: "Forget every value the agent has cached" },
  examples: [{ command: "kpm agent flush" }],
  run: async ({ data: ctx }) => {
    const { signalAgent } = await import("@kpm/agent/client");
    const flushed = await signalAgent(await socketPath(ctx), "flush");
    ctx.log.info(flushed ? "✓ Agent cache emptied" : "No agent running");
    return 0;
  },
});

const status = defineKpmCommand({
  meta: { name: "status", description: "Show the agent's servers, token expiry, uptime and requests" },
  examples: [{ command: "kpm agent status" }, { command: "kpm agent status --json" }],
  args: { json: { type: "boolean", description: "Print JSON" } },
  run: async ({ args, data: ctx }) => {
    const { agentStatus } = await import("@kpm/agent/client");
    const found = await agentStatus(await socketPath(ctx));
    if (args.json) {
      await writeStdout(
        `${JSON.stringify(found === null ? { running: false } : { running: true, ...found }, null, 2)}\n`,
      );
      return found === null ? 1 : 0;
    }
    if (found === null) {
      await writeStdout("No agent running (kpm agent start, or any kpm get starts one)\n");
      return 1;
    }
    const lines = [
      `Agent pid ${found.pid}, up ${formatDuration(found.uptime_seconds)} (since ${found.started_at})`,
      `  Requests served: ${found.requests}`,
      `  Cached values:   ${found.cache_entries} (each kept at most ${found.cache_ttl_seconds}s)`,
      `  Idle exit after: ${found.idle_timeout_seconds}s`,
    ];
    if (found.servers.length === 0) lines.push("  Servers:         none yet");
    for (const server of found.servers) {
      lines.push(
        `  Server ${server.server}: token expires ${server.token_expires_at ?? "unknown"}, ${server.requests} requests`,
      );
    }
    await writeStdout(`${lines.join("\n")}\n`);
    return 0;
  },
});

export default defineKpmCommand({
  meta: {
    name: "agent",
    description: "The per-user agent: one warm AgentKMS session (start, stop, status, flush)",
  },
  examples: [{ command: "kpm agent status" }, { command: "kpm agent stop" }],
  usage: "<start|stop|status|flush>",
  subCommands: {
    start: asSubcommand(start),
    stop: asSubcommand(stop),
    status: asSubcommand(status),
    flush: asSubcommand(flush),
  },
  run: () => {
    throw new UsageError("kpm agent: subcommand required (start, stop, status or flush)");
  },
});

function formatDuration(seconds: number): string {
  if (seconds < 60) return `${seconds}s`;
  if (seconds < 3600) return `${Math.floor(seconds / 60)}m${seconds % 60}s`;
  return `${Math.floor(seconds / 3600)}h${Math.floor((seconds % 3600) / 60)}m`;
}
