// `kpm quickstart [--force] [--addr <host:port>] [--dir <DevDir>]` (§14): a working kpm on a
// fresh machine — dev PKI, a detached dev server, demo secrets, config, certs and templates.
import { defineKpmCommand } from "../cli/command.ts";
import { CliError } from "../cli/errors.ts";
import { failureText } from "../cli/lib-errors.ts";
import { shellWord } from "../env-output.ts";
import { devDir, dirArg } from "./dev/shared.ts";

export default defineKpmCommand({
  meta: { name: "quickstart", description: "Start a local AgentKMS dev server and configure kpm" },
  examples: [
    { command: "kpm quickstart" },
    { command: "kpm quickstart --addr 127.0.0.1:9443", about: "another port" },
    { command: "kpm quickstart --force", about: "rewrite config, certs and templates" },
  ],
  usage: "[--force] [--addr <host:port>] [--dir <DevDir>]",
  args: {
    force: { type: "boolean", description: "Overwrite existing config, certs and templates" },
    addr: {
      type: "string",
      description: "Dev server address (default 127.0.0.1:8443)",
      valueHint: "host:port",
    },
    ...dirArg,
  },
  run: async ({ args, data: ctx }) => {
    const { quickstart } = await import("../quickstart/quickstart.ts");
    const dir = devDir(ctx, args.dir);
    try {
      await quickstart({
        devDir: dir,
        addr: args.addr ?? "127.0.0.1:8443",
        force: args.force === true,
        configPath: ctx.configPath,
        dirs: ctx.dirs,
        cwd: ctx.cwd,
        // `kpm dev stop` alone finds $AGENTKMS_DIR or the default dir, but not a --dir.
        stopHint: args.dir ? ` --dir ${shellWord(dir)}` : "",
        rerunFlags: [
          args.addr ? ` --addr ${shellWord(args.addr)}` : "",
          args.dir ? ` --dir ${shellWord(dir)}` : "",
          ctx.globals.config ? ` --config ${shellWord(ctx.configPath)}` : "",
        ].join(""),
        env: ctx.env,
        say: (line) => ctx.log.info(line),
      });
    } catch (error) {
      if (error instanceof CliError) throw error;
      throw new CliError(`quickstart failed: ${failureText(error).replace(/^error: /, "")}`);
    }
    // The config is new: the per-user agent (docs/agent.md) starts now, so the first try-this is warm.
    const { agentOffReason, startAgent } = await import("../agent-use.ts");
    const config = await ctx.config();
    if (agentOffReason(ctx.env, config) === null) {
      const started = await startAgent(ctx, config);
      if (!started.ok) ctx.log.debug(`kpm: agent: could not start: ${started.reason}`);
    }
    return 0;
  },
});
