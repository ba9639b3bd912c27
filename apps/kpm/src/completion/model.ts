// The command tree that completion scripts, the man page and docs/commands/ are generated from,
// read from the command definitions themselves (every module is loaded: not a hot path).
import type { ArgsDef } from "citty";
import { type CommandExample, globalArgs, type KpmCommand } from "../cli/command.ts";
import { aliases, commands } from "../commands/index.ts";

export interface FlagSpec {
  name: string;
  description: string;
  takesValue: boolean;
  /** Complete file names for the value. */
  isPath: boolean;
  /** The value's placeholder (`path`, `host:port`); undefined for a boolean flag. */
  valueHint?: string;
  /** Set on an alias spelling (`--type`): the flag's own name (`type-filter`). */
  aliasOf?: string;
  /** One-letter aliases (`-y`): left out of menus, shown in docs and the man page. */
  shortAliases: string[];
  /** A global flag (§3.3), accepted by every command. */
  global: boolean;
}

export interface CommandSpec {
  /** Words after `kpm`, e.g. ["dev", "secrets", "set"]. */
  path: string[];
  description: string;
  /** Own flags plus the global flags. */
  flags: FlagSpec[];
  subcommands: CommandSpec[];
  /** Positionals are registry paths (`service/name`), completed from `kpm list --json`. */
  completesSecretPaths: boolean;
  /** Positionals are directories (`config push|pull [dir]`, `trust|untrust [dir]`). */
  completesDirectory: boolean;
  /** Text after the command words in the usage line (`<service/name> [flags]`), or "". */
  usage: string;
  /** Lines printed after the flags in the command's help. */
  notes: string[];
  examples: CommandExample[];
  /** Set on an alias (`export`): the command it stands for (`env`). */
  aliasOf?: string;
}

// §12.4 names these; the dev server's file flags complete the same way.
const PATH_FLAGS = new Set(["from", "config", "cert", "key", "ca", "from-file"]);
const PATH_HINTS = new Set(["path", "file", "dir"]);
const SECRET_PATH_COMMANDS = new Set(["describe", "history", "get", "remove"]);
const HIDDEN = new Set(["_listen", "_agent"]);
const DIRECTORY_COMMANDS = new Set(["trust", "untrust"]);

function flagSpecs(args: ArgsDef, global: boolean): FlagSpec[] {
  const specs: FlagSpec[] = [];
  for (const [name, def] of Object.entries(args)) {
    if (def.type === "positional") continue;
    const hint = "valueHint" in def ? def.valueHint : undefined;
    const aliases = "alias" in def && def.alias ? [def.alias].flat() : [];
    const takesValue = def.type !== "boolean";
    // One-letter aliases (-v, -y) are for typing, not for menus; long ones (list --type) are real names.
    for (const spelling of [name, ...aliases.filter((alias) => alias.length > 1)]) {
      specs.push({
        name: spelling,
        description: def.description ?? "",
        takesValue,
        isPath: takesValue && (PATH_FLAGS.has(name) || (hint !== undefined && PATH_HINTS.has(hint))),
        ...(takesValue ? { valueHint: hint ?? "value" } : {}),
        ...(spelling === name ? {} : { aliasOf: name }),
        shortAliases: aliases.filter((alias) => alias.length === 1),
        global,
      });
    }
  }
  return specs;
}

/** The global flags (§3.3), as every command's `flags` holds them. */
export function globalFlagSpecs(): FlagSpec[] {
  return flagSpecs(globalArgs, true);
}

async function resolveEntry(entry: unknown): Promise<KpmCommand> {
  return (typeof entry === "function" ? await (entry as () => unknown)() : await entry) as KpmCommand;
}

async function describeCommand(path: string[], command: KpmCommand): Promise<CommandSpec> {
  const subcommands: CommandSpec[] = [];
  const table = command.subCommands;
  if (table) {
    const resolved = (typeof table === "function" ? await table() : await table) as Record<string, unknown>;
    for (const [name, entry] of Object.entries(resolved)) {
      subcommands.push(await describeCommand([...path, name], await resolveEntry(entry)));
    }
  }
  const own = flagSpecs((command.args ?? {}) as ArgsDef, false);
  const ownNames = new Set(own.map((flag) => flag.name));
  const globals = flagSpecs(globalArgs, true).filter((flag) => !ownNames.has(flag.name));
  const meta = (command.meta ?? {}) as { description?: string };
  const top = path[0] ?? "";
  return {
    path,
    description: meta.description ?? "",
    flags: [...own, ...globals],
    subcommands,
    completesSecretPaths: path.length === 1 && SECRET_PATH_COMMANDS.has(top),
    completesDirectory:
      (top === "config" && path.length === 2) || (DIRECTORY_COMMANDS.has(top) && path.length === 1),
    usage: command.usage ?? "",
    notes: [...(command.notes ?? [])],
    examples: [...(command.examples ?? [])],
  };
}

/** Every visible command (aliases included), sorted by name, with its subcommand tree. */
export async function loadCommandTree(): Promise<CommandSpec[]> {
  const specs: CommandSpec[] = [];
  for (const [name, loader] of Object.entries(commands)) {
    if (HIDDEN.has(name)) continue;
    specs.push(await describeCommand([name], await loader()));
  }
  for (const [alias, target] of Object.entries(aliases)) {
    const canonical = specs.find((spec) => spec.path[0] === target);
    if (canonical) specs.push({ ...canonical, path: [alias], aliasOf: target });
  }
  specs.push({
    path: ["help"],
    description: "Show usage",
    flags: [],
    subcommands: [],
    completesSecretPaths: false,
    completesDirectory: false,
    usage: "[<command> [<subcommand>]]",
    notes: ["kpm help <command> and kpm <command> --help print the same text, on stdout."],
    examples: [
      { command: "kpm help", about: "every command" },
      { command: "kpm help dev serve", about: "one command's flags, notes and examples" },
    ],
  });
  return specs.sort((a, b) => (a.path[0] ?? "").localeCompare(b.path[0] ?? ""));
}

/** Every command node, depth first (parents before children). */
export function flatten(specs: CommandSpec[]): CommandSpec[] {
  return specs.flatMap((spec) => [spec, ...flatten(spec.subcommands)]);
}
