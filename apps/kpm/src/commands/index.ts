// Command name → lazy loader, so `--version` and `--help` load almost nothing.
import type { KpmCommand } from "../cli/command.ts";

type Loader = () => Promise<KpmCommand>;
const load =
  <M extends { default: unknown }>(importer: () => Promise<M>): Loader =>
  () =>
    importer().then((module) => module.default as KpmCommand);

export const commands: Record<string, Loader> = {
  version: load(() => import("./version.ts")),
  init: load(() => import("./init.ts")),
  tree: load(() => import("./tree.ts")),
  profile: load(() => import("./profile.ts")),
  get: load(() => import("./get.ts")),
  add: load(() => import("./add.ts")),
  list: load(() => import("./list.ts")),
  describe: load(() => import("./describe.ts")),
  history: load(() => import("./history.ts")),
  remove: load(() => import("./remove.ts")),
  dev: load(() => import("./dev/index.ts")),
  env: load(() => import("./env.ts")),
  run: load(() => import("./run.ts")),
  decrypt: load(() => import("./decrypt.ts")),
  show: load(() => import("./show.ts")),
  "shell-init": load(() => import("./shell-init.ts")),
  _listen: load(() => import("./listen.ts")),
  agent: load(() => import("./agent.ts")),
  _agent: load(() => import("./agent-serve.ts")),
  quickstart: load(() => import("./quickstart.ts")),
  config: load(() => import("./config.ts")),
  completion: load(() => import("./completion.ts")),
  trust: load(() => import("./trust.ts")),
  untrust: load(() => import("./untrust.ts")),
  allow: load(() => import("./allow.ts")),
  doctor: load(() => import("./doctor.ts")),
  scan: load(() => import("./scan.ts")),
  import: load(() => import("./import.ts")),
};

/** Aliases resolve to the canonical command (the name used in usage hints stays as typed). */
export const aliases: Record<string, string> = { export: "env" };

/** The commands that are groups of subcommands (`kpm dev serve`): "did you mean" loads only these. */
export const groups: readonly string[] = ["dev", "config", "agent"];
