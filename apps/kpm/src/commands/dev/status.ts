// `kpm dev status` (§15.2): is the dev server for this dir running and healthy?
import { earliestExpiry, formatDate } from "@kpm/agentkms-dev";
import { defineKpmCommand } from "../../cli/command.ts";
import { writeStdout } from "../../cli/io.ts";
import { probeHealth, runningServer } from "../../dev-control.ts";
import { certificateWarning, devDir, dirArg } from "./shared.ts";

export default defineKpmCommand({
  meta: { name: "status", description: "Show whether the dev server is running and healthy" },
  examples: [{ command: "kpm dev status" }],
  usage: "[--dir D]",
  args: { ...dirArg },
  run: async ({ args, data: ctx }) => {
    const dir = devDir(ctx, args.dir);
    const state = runningServer(dir);
    if (!state) {
      await writeStdout("AgentKMS dev server: not running\n");
      return 1;
    }
    const healthy = await probeHealth(dir, state.addr);
    const expiry = earliestExpiry(dir);
    const lines = [
      "AgentKMS dev server: running",
      `  PID:     ${state.pid}`,
      `  Address: https://${state.addr}`,
      `  Dir:     ${dir}`,
      `  Health:  ${healthy ? "ok" : "failing"}`,
      `  Certs:   valid until ${expiry ? formatDate(expiry) : "unknown"}`,
    ];
    await writeStdout(`${lines.join("\n")}\n`);
    const warning = certificateWarning(dir);
    if (warning) ctx.log.warn(warning);
    return healthy ? 0 : 1;
  },
});
