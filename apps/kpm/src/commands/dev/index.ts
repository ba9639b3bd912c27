// `kpm dev …` (§15): the embedded AgentKMS dev server. Subcommands load lazily.
import { defineKpmCommand, lazyCommand as lazy } from "../../cli/command.ts";
import { UsageError } from "../../cli/errors.ts";

export default defineKpmCommand({
  meta: { name: "dev", description: "Embedded AgentKMS dev server (serve, enroll, secrets, stop, status)" },
  examples: [
    { command: "kpm dev serve --detach" },
    { command: "kpm dev status" },
    { command: "kpm dev stop" },
  ],
  usage: "<serve|enroll|secrets|stop|status> [flags]",
  subCommands: {
    serve: lazy(() => import("./serve.ts")),
    enroll: lazy(() => import("./enroll.ts")),
    secrets: lazy(() => import("./secrets.ts")),
    status: lazy(() => import("./status.ts")),
    stop: lazy(() => import("./stop.ts")),
  },
  // Only reached without a subcommand: the dispatcher reports unknown ones.
  run: () => {
    throw new UsageError("kpm dev: subcommand required (serve, enroll, secrets, stop or status)");
  },
});
