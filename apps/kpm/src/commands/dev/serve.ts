// `kpm dev serve` (§15.2): run the embedded AgentKMS-compatible server, or start it detached.
import { existsSync } from "node:fs";
import { join } from "node:path";
import { pkiPaths, removeServerState, startDevServer, writeServerState } from "@kpm/agentkms-dev";
import { defineKpmCommand } from "../../cli/command.ts";
import { CliError } from "../../cli/errors.ts";
import { stdoutLine } from "../../cli/io.ts";
import { listenAddress, runningServer, startDetached } from "../../dev-control.ts";
import { asCli, certificateWarning, devDir, dirArg } from "./shared.ts";

const LOOPBACK = new Set(["127.0.0.1", "localhost", "::1", "[::1]"]);

function nonNegativeInteger(name: string, value: string | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  const parsed = Number(value);
  if (!/^\d+$/.test(value) || !Number.isSafeInteger(parsed)) {
    throw new CliError(`error: invalid --${name} "${value}": expected a whole number of seconds`);
  }
  return parsed;
}

export default defineKpmCommand({
  meta: { name: "serve", description: "Run the embedded AgentKMS dev server" },
  examples: [
    { command: "kpm dev serve", about: "foreground, 127.0.0.1:8443" },
    { command: "kpm dev serve --addr 127.0.0.1:0 --detach", about: "ephemeral port, background" },
  ],
  usage: "[--addr 127.0.0.1:8443] [--dir D] [flags]",
  args: {
    addr: { type: "string", description: "Listen address (port 0 = ephemeral)", valueHint: "host:port" },
    ...dirArg,
    audit: { type: "string", description: "Audit log file (default <dir>/audit.ndjson)", valueHint: "file" },
    env: {
      type: "string",
      description: "Environment name recorded in audit events (default dev)",
      valueHint: "name",
    },
    "rate-limit": {
      type: "string",
      description: "Seconds between vends of one credential (0 = off)",
      valueHint: "s",
    },
    policy: { type: "string", description: "Policy file (AgentKMS YAML format)", valueHint: "file" },
    "token-ttl": {
      type: "string",
      description: "Session token lifetime in seconds (default 900)",
      valueHint: "s",
    },
    detach: { type: "boolean", description: "Start in the background and return" },
  },
  run: async ({ args, data: ctx }) => {
    const dir = devDir(ctx, args.dir);
    const addr = args.addr ?? "127.0.0.1:8443";
    const { host, port } = listenAddress(addr);
    const rateLimit = nonNegativeInteger("rate-limit", args["rate-limit"], 0);
    const tokenTtl = nonNegativeInteger("token-ttl", args["token-ttl"], 900);
    if (!existsSync(pkiPaths(dir).caCert)) throw new CliError(`error: no PKI in ${dir}; run: kpm dev enroll`);
    const running = runningServer(dir);
    if (running) throw new CliError(`error: a dev server is already running for ${dir} (PID ${running.pid})`);
    const warning = certificateWarning(dir);
    if (warning) ctx.log.warn(warning);
    if (!LOOPBACK.has(host)) ctx.log.warn("warning: dev server is listening on a non-loopback address");

    if (args.detach) {
      const passThrough: string[] = ["--rate-limit", String(rateLimit), "--token-ttl", String(tokenTtl)];
      if (args.audit) passThrough.push("--audit", ctx.flagPath(args.audit));
      if (args.env) passThrough.push("--env", args.env);
      if (args.policy) passThrough.push("--policy", ctx.flagPath(args.policy));
      const started = await startDetached({ devDir: dir, addr, extraArgs: passThrough });
      if (!started.ok) {
        throw new CliError([`error: ${started.reason}`, `  Check the log: ${join(dir, "server.log")}`]);
      }
      ctx.log.info(`✓ AgentKMS dev server started (PID ${started.state.pid})`);
      return 0;
    }

    // Handlers go in before anything is announced: a caller that signals right after reading the
    // first line (or server.json) must get the graceful stop, not the default exit on SIGTERM.
    const stopRequested = new Promise<void>((resolve) => {
      const stop = () => resolve();
      process.once("SIGINT", stop);
      process.once("SIGTERM", stop);
    });
    let server: Awaited<ReturnType<typeof startDevServer>>;
    try {
      server = await startDevServer({
        dir,
        host,
        port,
        auditPath: args.audit ? ctx.flagPath(args.audit) : undefined,
        environment: args.env ?? "dev",
        rateLimitSeconds: rateLimit,
        policyPath: args.policy ? ctx.flagPath(args.policy) : undefined,
        tokenTtlSeconds: tokenTtl,
        log: stdoutLine,
      });
    } catch (error) {
      throw asCli(error);
    }
    const bound = `${host.includes(":") ? `[${host}]` : host}:${server.port}`;
    // server.json first, so whoever reads the listening line can already find it.
    writeServerState(dir, { pid: process.pid, addr: bound, dir, started_at: new Date().toISOString() });
    stdoutLine(`AgentKMS dev server listening on https://${bound} (dir ${dir})`);

    await stopRequested;
    await server.close(10_000);
    removeServerState(dir, process.pid);
    return 0;
  },
});
