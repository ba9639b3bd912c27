// `kpm dev stop` (§15.2): SIGTERM the dir's dev server and wait for it.
import { readServerState, removeServerState } from "@kpm/agentkms-dev";
import { defineKpmCommand } from "../../cli/command.ts";
import { CliError } from "../../cli/errors.ts";
import { runningServer, stopProcess } from "../../dev-control.ts";
import { devDir, dirArg } from "./shared.ts";

export default defineKpmCommand({
  meta: { name: "stop", description: "Stop the dev server" },
  examples: [{ command: "kpm dev stop" }, { command: "kpm dev stop --dir /tmp/agentkms" }],
  usage: "[--dir D]",
  args: { ...dirArg },
  run: async ({ args, data: ctx }) => {
    const dir = devDir(ctx, args.dir);
    const state = runningServer(dir);
    if (!state) {
      // A record left by a crashed server names a dead PID: clean it up.
      const stale = readServerState(dir);
      if (stale) removeServerState(dir, stale.pid);
      ctx.log.info(`no dev server running for ${dir}`);
      return 0;
    }
    if (!(await stopProcess(state.pid))) {
      throw new CliError(`error: dev server (PID ${state.pid}) did not stop within 10 seconds`);
    }
    removeServerState(dir, state.pid);
    ctx.log.info(`✓ AgentKMS dev server stopped (PID ${state.pid})`);
    return 0;
  },
});
