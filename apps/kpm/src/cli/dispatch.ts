// Entry dispatch (§3.2–§3.6): leading global flags, the command word, lazy command loading,
// flag parsing, and turning errors into one stderr block and an exit code.
import type { ArgsDef } from "citty";
import { aliases, commands } from "../commands/index.ts";
import { type GlobalFlags, KpmContext } from "../context.ts";
import { GLOBAL_FLAG_NAMES, globalArgs, type KpmCommand } from "./command.ts";
import { CliError } from "./errors.ts";
import { FlagError, parseFlags, parseLeadingGlobals } from "./flags.ts";
import { stderrLine, writeStdout } from "./io.ts";
import { createLogger } from "./logger.ts";
import { commandUsage, topLevelUsage } from "./usage.ts";

type Env = Record<string, string | undefined>;

async function printUsage(env: Env): Promise<void> {
  let configPath = "<ConfigDir>/config.yaml";
  let templatesDir = "<TemplatesDir>";
  try {
    const { resolveDirs } = await import("../paths.ts");
    const dirs = resolveDirs(env);
    configPath = `${dirs.configDir}/config.yaml`;
    templatesDir = dirs.templatesDir;
  } catch {
    // KPM_CONFIG naming a file: usage still prints with placeholders
  }
  stderrLine(topLevelUsage(configPath, templatesDir).trimEnd());
}

function isDebug(env: Env, verbose: boolean): boolean {
  return verbose || env.KPM_DEBUG === "1";
}

function toGlobals(values: Record<string, string | boolean>): GlobalFlags {
  const pickString = (name: string) =>
    typeof values[name] === "string" ? (values[name] as string) : undefined;
  return {
    config: pickString("config"),
    server: pickString("server"),
    cert: pickString("cert"),
    key: pickString("key"),
    ca: pickString("ca"),
    verbose: values.verbose === true,
  };
}

type SubcommandTable = Record<string, unknown>;

async function subcommandTable(command: KpmCommand): Promise<SubcommandTable | undefined> {
  const sub = command.subCommands;
  if (!sub) return undefined;
  return (typeof sub === "function" ? await sub() : await sub) as SubcommandTable;
}

/** Loads only the named subcommand (the others stay unloaded). */
async function loadSubcommand(table: SubcommandTable, name: string): Promise<KpmCommand | undefined> {
  if (!Object.hasOwn(table, name)) return undefined;
  const entry = table[name];
  return (typeof entry === "function" ? await (entry as () => unknown)() : await entry) as KpmCommand;
}

export async function runCli(argv: readonly string[], env: Env = process.env): Promise<number> {
  let leading: ReturnType<typeof parseLeadingGlobals>;
  try {
    leading = parseLeadingGlobals(argv, globalArgs);
  } catch (error) {
    if (error instanceof FlagError) {
      stderrLine(error.message);
      return 2;
    }
    throw error;
  }
  if (leading.version) {
    const { versionLine } = await import("../version.ts");
    await writeStdout(`${versionLine()}\n`);
    return 0;
  }
  if (leading.help) {
    await printUsage(env);
    return 0;
  }
  const word = argv[leading.commandIndex];
  if (word === undefined) {
    await printUsage(env);
    return 1;
  }
  if (word === "help") return helpFor(argv.slice(leading.commandIndex + 1), env);

  const canonical = aliases[word] ?? word;
  const loader = commands[canonical];
  if (!loader) {
    stderrLine(`unknown command: ${word}\n`);
    await printUsage(env);
    return 1;
  }
  let command = await loader();
  let fullName = word;
  let rest = argv.slice(leading.commandIndex + 1);
  const globalValues: Record<string, string | boolean> = { ...leading.values };

  // Groups (`dev`, `config`): global flags may precede the subcommand word.
  for (;;) {
    const subcommands = await subcommandTable(command);
    if (!subcommands) break;
    let head: ReturnType<typeof parseLeadingGlobals>;
    try {
      head = parseLeadingGlobals(rest, globalArgs);
    } catch (error) {
      // After a command word the usage hint applies, group or not (§3.2).
      if (error instanceof FlagError) return flagFailure(new FlagError(error.message), fullName);
      throw error;
    }
    Object.assign(globalValues, head.values);
    if (head.help) {
      stderrLine(commandUsage(fullName, command).trimEnd());
      return 0;
    }
    const subName = rest[head.commandIndex];
    const next = subName === undefined ? undefined : await loadSubcommand(subcommands, subName);
    if (!next || subName === undefined) {
      // The group's own run prints its "subcommand required" / "unknown subcommand" text.
      rest = subName === undefined ? [] : [subName];
      break;
    }
    command = next;
    fullName = `${fullName} ${subName}`;
    rest = rest.slice(head.commandIndex + 1);
  }

  const args = { ...globalArgs, ...((command.args ?? {}) as ArgsDef) } as ArgsDef;
  let parsed: ReturnType<typeof parseFlags>;
  try {
    parsed = parseFlags(rest, args, { stopAtFirstPositional: command.stopAtFirstPositional === true });
  } catch (error) {
    if (error instanceof FlagError) return flagFailure(error, fullName);
    throw error;
  }
  if (parsed.help) {
    stderrLine(commandUsage(fullName, command).trimEnd());
    return 0;
  }
  for (const name of GLOBAL_FLAG_NAMES) {
    if (name in parsed.values) globalValues[name] = parsed.values[name] as string | boolean;
  }
  const globals = toGlobals(globalValues);
  // A command that defines --quiet (env, for the shell hook) gets a logger without ✓ lines.
  const logger = createLogger(globals.verbose, parsed.values.quiet === true);
  const context = new KpmContext(fullName, globals, env, process.cwd(), logger);
  try {
    if (!command.run) return 0;
    if (!command.preparesContext) await context.prepare();
    return await command.run({
      rawArgs: [...rest],
      args: { ...parsed.values, _: parsed.positionals } as never,
      cmd: command as never,
      data: context,
    });
  } catch (error) {
    return reportError(error, isDebug(env, globals.verbose));
  } finally {
    context.close();
  }
}

function flagFailure(error: FlagError, commandName: string): number {
  stderrLine(error.message);
  if (error.withUsageHint) stderrLine(`Run 'kpm ${commandName} --help' for usage.`);
  return 2;
}

async function helpFor(rest: readonly string[], env: Env): Promise<number> {
  const name = rest[0];
  const loader = name ? commands[aliases[name] ?? name] : undefined;
  if (!name || !loader) {
    await printUsage(env);
    return 0;
  }
  stderrLine(commandUsage(name, await loader()).trimEnd());
  return 0;
}

export function reportError(error: unknown, debug: boolean): number {
  if (error instanceof CliError) {
    for (const line of error.lines) stderrLine(line);
    return error.exitCode;
  }
  const message = error instanceof Error ? error.message : String(error);
  stderrLine(message.startsWith("error") ? message : `error: ${message}`);
  if (debug && error instanceof Error && error.stack) stderrLine(error.stack);
  return 1;
}
