// `kpm dev …` (§15): the embedded AgentKMS dev server. Subcommands load lazily.
import { defineKpmCommand, lazyCommand as lazy } from "../../cli/command.ts";
import { CliError } from "../../cli/errors.ts";

export default defineKpmCommand({
  meta: { name: "dev", description: "Embedded AgentKMS dev server (serve, enroll, secrets, stop, status)" },
  usage: "<serve|enroll|secrets|stop|status> [flags]",
  subCommands: {
    serve: lazy(() => import("./serve.ts")),
    enroll: lazy(() => import("./enroll.ts")),
    secrets: lazy(() => import("./secrets.ts")),
    status: lazy(() => import("./status.ts")),
    stop: lazy(() => import("./stop.ts")),
  },
  run: ({ args }) => {
    const name = args._[0];
    if (name === undefined)
      throw new CliError("kpm dev: subcommand required (serve, enroll, secrets, stop or status)");
    throw new CliError(`kpm dev: unknown subcommand "${name}"`);
  },
});
