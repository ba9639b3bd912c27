// Command definitions: citty's CommandDef for metadata, args and lazy subcommands; our own parser
// (flags.ts) fills `args`, and `data` carries the KpmContext. `run` returns the exit code.
import { type ArgsDef, type CommandContext, type CommandDef, defineCommand } from "citty";
import type { KpmContext } from "../context.ts";

export interface KpmCommandContext<T extends ArgsDef> extends CommandContext<T> {
  data: KpmContext;
}

export type KpmCommand<T extends ArgsDef = ArgsDef> = Omit<CommandDef<T>, "run"> & {
  /** Text after `kpm <name>` in the usage line, e.g. "<service/name> [flags]". */
  usage?: string;
  /** Extra usage lines printed after the flag list (install lines, reference syntax). */
  notes?: string[];
  /**
   * Example command lines shown under "Examples:" in the command's help; every visible command
   * has at least one (a test checks). Plain data, so a man-page generator can reuse them.
   */
  examples?: readonly CommandExample[];
  /** `run`: flags end at `--` or the first positional (§3.2). */
  stopAtFirstPositional?: boolean;
  /** `run`: the command awaits ctx.prepare() itself, only where it needs directories. */
  preparesContext?: boolean;
  run?: (context: KpmCommandContext<T>) => number | Promise<number>;
};

export interface CommandExample {
  /** The command line as typed, starting with `kpm` (or a shell line that runs kpm). */
  command: string;
  /** What it does, when the command line alone does not say. */
  about?: string;
}

export function defineKpmCommand<const T extends ArgsDef>(definition: KpmCommand<T>): KpmCommand<T> {
  return defineCommand(definition as CommandDef<T>) as KpmCommand<T>;
}

/** Global flags (§3.3), accepted before or after the command. */
export const globalArgs = {
  config: { type: "string", description: "Config file", valueHint: "path" },
  server: { type: "string", description: "AgentKMS server URL", valueHint: "url" },
  cert: { type: "string", description: "Client certificate", valueHint: "path" },
  key: { type: "string", description: "Client private key", valueHint: "path" },
  ca: { type: "string", description: "CA certificate", valueHint: "path" },
  verbose: { type: "boolean", alias: "v", description: "Debug output (never prints secrets)" },
} as const satisfies ArgsDef;

export const GLOBAL_FLAG_NAMES = Object.keys(globalArgs) as Array<keyof typeof globalArgs>;

/** A lazily imported subcommand, in the shape citty's `subCommands` expects. */
export function lazyCommand(importer: () => Promise<{ default: unknown }>): () => Promise<CommandDef> {
  return () => importer().then((module) => module.default as CommandDef);
}

/** An inline subcommand for citty's `subCommands` table. */
export function asSubcommand<T extends ArgsDef>(command: KpmCommand<T>): CommandDef {
  return command as unknown as CommandDef;
}
