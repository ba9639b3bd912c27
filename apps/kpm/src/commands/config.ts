// `kpm config push|pull [dir]` (§13): template sync through the AgentKMS registry. Subcommands load lazily.
import { defineKpmCommand, lazyCommand as lazy } from "../cli/command.ts";
import { UsageError } from "../cli/errors.ts";

export default defineKpmCommand({
  meta: { name: "config", description: "Upload or download templates through AgentKMS" },
  examples: [{ command: "kpm config push" }, { command: "kpm config pull --force" }],
  usage: "<push|pull> [dir]",
  subCommands: {
    push: lazy(() => import("./config-push.ts")),
    pull: lazy(() => import("./config-pull.ts")),
  },
  // Only reached without a subcommand: the dispatcher reports unknown ones.
  run: () => {
    throw new UsageError("kpm config: subcommand required (push or pull)");
  },
});
