// `kpm config push|pull [dir]` (§13): template sync through the AgentKMS registry. Subcommands load lazily.
import { defineKpmCommand, lazyCommand as lazy } from "../cli/command.ts";
import { CliError } from "../cli/errors.ts";

export default defineKpmCommand({
  meta: { name: "config", description: "Upload or download templates through AgentKMS" },
  usage: "<push|pull> [dir]",
  subCommands: {
    push: lazy(() => import("./config-push.ts")),
    pull: lazy(() => import("./config-pull.ts")),
  },
  run: ({ args }) => {
    const name = args._[0];
    if (name === undefined) throw new CliError("kpm config: subcommand required (push or pull)");
    throw new CliError(`kpm config: unknown subcommand "${name}" (use push or pull)`);
  },
});
