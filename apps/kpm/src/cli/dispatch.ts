// Entry dispatch (§3.2–§3.6): leading global flags, the command word, lazy command loading,
// flag parsing, and turning errors into one stderr block and an exit code. Help that was asked
// for goes to stdout (`kpm list --help | less`); usage printed because of an error goes to stderr.
import type { ArgsDef } from "citty";
import { aliases, commands } from "../commands/index.ts";
import { type GlobalFlags, KpmContext } from "../context.ts";
import { GLOBAL_FLAG_NAMES, globalArgs, type KpmCommand } from "./command.ts";
import { CliError, UsageError } from "./errors.ts";
import { FlagError, parseFlags, parseLeadingGlobals } from "./flags.ts";
import { stderrLine, writeStdout } from "./io.ts";
import { createLogger } from "./logger.ts";
import { commandUsage, topLevelUsage } from "./usage.ts";

type Env = Record<string, string | undefined>;

async function printUsage(env: Env, to: "stdout" | "stderr"): Promise<void> {
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
  const text = topLevelUsage(configPath, templatesDir);
  if (to === "stdout") await writeStdout(text);
  else stderrLine(text.trimEnd());
}

/** A command's help, asked for with `--help`, `-h` or `kpm help <command>`: stdout, exit 0. */
async function printCommandUsage(fullName: string, command: KpmCommand): Promise<number> {
  await writeStdout(commandUsage(fullName, command));
  return 0;
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
    if (error instanceof FlagError) return flagFailure(error, "");
    throw error;
  }
  if (leading.version) {
    const { versionLine } = await import("../version.ts");
    await writeStdout(`${versionLine()}\n`);
    return 0;
  }
  if (leading.help) {
    await printUsage(env, "stdout");
    return 0;
  }
  const word = argv[leading.commandIndex];
  if (word === undefined) {
    // No command is a usage error: the usage, on stderr, exit 2.
    await printUsage(env, "stderr");
    return 2;
  }
  if (word === "help") return helpFor(argv.slice(leading.commandIndex + 1), env);

  const canonical = aliases[word] ?? word;
  const loader = Object.hasOwn(commands, canonical) ? commands[canonical] : undefined;
  if (!loader) return reportError(await (await import("./unknown.ts")).unknownCommand(word), false, word);
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
      if (error instanceof FlagError)
        return flagFailure(new FlagError(error.message, true, error.suggestion), fullName);
      throw error;
    }
    Object.assign(globalValues, head.values);
    if (head.help) return printCommandUsage(fullName, command);
    const subName = rest[head.commandIndex];
    if (subName === undefined) {
      // The group's own run prints its "subcommand required" text.
      rest = [];
      break;
    }
    const next = await loadSubcommand(subcommands, subName);
    if (!next) {
      const { unknownSubcommand } = await import("./unknown.ts");
      return reportError(await unknownSubcommand(fullName, command, subName), false, fullName);
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
  if (parsed.help) return printCommandUsage(fullName, command);
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
    return reportError(error, isDebug(env, globals.verbose), fullName);
  } finally {
    context.close();
  }
}

function flagFailure(error: FlagError, commandName: string): number {
  stderrLine(error.message);
  if (error.suggestion !== undefined) stderrLine(`Did you mean "--${error.suggestion}"?`);
  else if (error.withUsageHint) stderrLine(`Run 'kpm ${commandName} --help' for usage.`);
  return 2;
}

/** `kpm help [<command> [<subcommand>…]]`: the usage asked for, on stdout. */
async function helpFor(words: readonly string[], env: Env): Promise<number> {
  const name = words[0];
  if (name === undefined || name === "help") {
    await printUsage(env, "stdout");
    return 0;
  }
  const loader = Object.hasOwn(commands, aliases[name] ?? name) ? commands[aliases[name] ?? name] : undefined;
  if (!loader)
    return reportError(await (await import("./unknown.ts")).unknownCommand(name, "help "), false, "help");
  let command = await loader();
  let fullName = name;
  for (const word of words.slice(1)) {
    const table = await subcommandTable(command);
    const next = table ? await loadSubcommand(table, word) : undefined;
    if (!next) {
      if (!table) break;
      const { unknownSubcommand } = await import("./unknown.ts");
      return reportError(await unknownSubcommand(fullName, command, word), false, fullName);
    }
    command = next;
    fullName = `${fullName} ${word}`;
  }
  return printCommandUsage(fullName, command);
}

/** The error's lines on stderr and its exit code; a usage error without a hint gets the usage hint. */
export function reportError(error: unknown, debug: boolean, commandName = ""): number {
  if (error instanceof UsageError && error.hint === undefined && commandName !== "") {
    for (const line of error.lines) stderrLine(line);
    stderrLine(`Run 'kpm ${commandName} --help' for usage.`);
    return error.exitCode;
  }
  if (error instanceof CliError) {
    for (const line of error.lines) stderrLine(line);
    return error.exitCode;
  }
  const quotesInput = mayQuoteInput(error);
  const message = error instanceof Error ? error.message : String(error);
  if (quotesInput) stderrLine(`error: unexpected ${(error as Error).name}`);
  else stderrLine(message.startsWith("error") ? message : `error: ${message}`);
  if (debug && error instanceof Error && error.stack) {
    stderrLine(quotesInput ? stackFrames(error.stack) : error.stack);
  }
  return 1;
}

/**
 * Whether an error escaping every command may quote a value it was handed: the runtime's
 * argument checks say `Received "<value>"` (Bun.spawn with a NUL byte quotes the whole secret),
 * JSON.parse quotes the token it choked on. Plain Errors, kpm's own classes (named, worded
 * without values) and system errors (a path at most) are shown as they are.
 */
function mayQuoteInput(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  const code = (error as NodeJS.ErrnoException).code;
  if (typeof code === "string" && code.startsWith("ERR_")) return true;
  if (typeof (error as NodeJS.ErrnoException).errno === "number") return false;
  return Object.getPrototypeOf(error) !== Error.prototype && !KPM_ERRORS.has(error.name);
}

const KPM_ERRORS = new Set([
  "AgentKmsError",
  "AllowlistError",
  "AuditRejectedError",
  "CodecError",
  "DevError",
  "FlagError",
  "SessionError",
  "TemplateError",
]);

/** The `at …` lines of a stack, without the header that repeats the message. */
function stackFrames(stack: string): string {
  return stack
    .split("\n")
    .filter((line) => line.trimStart().startsWith("at "))
    .join("\n");
}
