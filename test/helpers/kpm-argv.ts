// Whether a kpm command line would get past argument parsing: the command and subcommands exist
// and every flag is one that command accepts. It walks the command table and calls the real flag
// parser as the dispatcher does (apps/kpm/src/cli/dispatch.ts), but runs nothing.
import type { ArgsDef } from "citty";
import { globalArgs, type KpmCommand } from "../../apps/kpm/src/cli/command.ts";
import { FlagError, parseFlags, parseLeadingGlobals } from "../../apps/kpm/src/cli/flags.ts";
import { aliases, commands } from "../../apps/kpm/src/commands/index.ts";

async function subcommandTable(command: KpmCommand): Promise<Record<string, unknown> | undefined> {
  const table = command.subCommands;
  if (!table) return undefined;
  return (typeof table === "function" ? await table() : await table) as Record<string, unknown>;
}

async function loadSubcommand(table: Record<string, unknown>, name: string): Promise<KpmCommand | undefined> {
  if (!Object.hasOwn(table, name)) return undefined;
  const entry = table[name];
  return (typeof entry === "function" ? await (entry as () => unknown)() : await entry) as KpmCommand;
}

async function loadCommand(word: string): Promise<KpmCommand | undefined> {
  const name = aliases[word] ?? word;
  if (!Object.hasOwn(commands, name)) return undefined;
  const command = await (commands[name] as () => Promise<KpmCommand>)();
  const meta = (command.meta ?? {}) as { hidden?: boolean };
  return meta.hidden ? undefined : command;
}

/** `kpm help dev serve`: every word names a command or subcommand. */
async function checkHelp(words: string[]): Promise<string | null> {
  const [first, ...rest] = words;
  if (first === undefined || first === "help") return null;
  let command = await loadCommand(first);
  if (!command) return `kpm help: unknown command "${first}"`;
  for (const word of rest) {
    const table = await subcommandTable(command);
    const next = table ? await loadSubcommand(table, word) : undefined;
    if (!next) return `kpm help ${first}: unknown subcommand "${word}"`;
    command = next;
  }
  return null;
}

/** null when `argv` (the words after `kpm`) parses; else what is wrong, as kpm would say it. */
export async function checkKpmArgv(argv: string[]): Promise<string | null> {
  try {
    const leading = parseLeadingGlobals(argv, globalArgs);
    if (leading.version || leading.help) return null;
    const word = argv[leading.commandIndex];
    if (word === undefined) return "no command";
    if (word === "help") return checkHelp(argv.slice(leading.commandIndex + 1));
    let command = await loadCommand(word);
    if (!command) return `unknown command: ${word}`;
    let name = word;
    let rest = argv.slice(leading.commandIndex + 1);
    for (;;) {
      const table = await subcommandTable(command);
      if (!table) break;
      const head = parseLeadingGlobals(rest, globalArgs);
      if (head.help) return null;
      const subName = rest[head.commandIndex];
      if (subName === undefined) return `kpm ${name}: subcommand required`;
      const next = await loadSubcommand(table, subName);
      if (!next) return `kpm ${name}: unknown subcommand "${subName}"`;
      command = next;
      name = `${name} ${subName}`;
      rest = rest.slice(head.commandIndex + 1);
    }
    const args = { ...globalArgs, ...((command.args ?? {}) as ArgsDef) } as ArgsDef;
    parseFlags(rest, args, { stopAtFirstPositional: command.stopAtFirstPositional === true });
    return null;
  } catch (error) {
    if (error instanceof FlagError) return error.message;
    throw error;
  }
}
