// The exit-2 texts for words kpm does not know — a command, a group's subcommand, a flag — with
// one "Did you mean …?" line when a single candidate is clearly meant. Loaded on error paths only.
import { aliases, commands, groups } from "../commands/index.ts";
import type { KpmCommand } from "./command.ts";
import { UsageError } from "./errors.ts";
import { suggest } from "./suggest.ts";

/** Habits from other tools that no edit distance would map to the kpm command. */
const SYNONYMS: Record<string, string> = {
  ls: "list",
  rm: "remove",
  del: "remove",
  delete: "remove",
  setup: "quickstart",
};

const HIDDEN = new Set(["_listen", "_agent"]);

/** Subcommand names of a group (`dev`, `config`), without loading the subcommands. */
async function subcommandNames(command: KpmCommand): Promise<string[]> {
  const table = command.subCommands;
  if (!table) return [];
  return Object.keys(typeof table === "function" ? await table() : await table);
}

/**
 * Every word a user may type after `kpm` (names, aliases, `help`) plus the groups' subcommands,
 * mapped to the command line it stands for: `serve` → `dev serve`.
 */
async function commandWords(): Promise<Map<string, string>> {
  const words = new Map<string, string>();
  for (const name of [...Object.keys(commands), ...Object.keys(aliases), "help"]) {
    if (!HIDDEN.has(name)) words.set(name, name);
  }
  for (const group of groups) {
    const load = commands[group];
    if (!load) continue;
    for (const sub of await subcommandNames(await load())) {
      if (!words.has(sub)) words.set(sub, `${group} ${sub}`);
    }
  }
  return words;
}

/** `unknown command: <x>` and either the closest command or where the list of commands is. */
export async function unknownCommand(word: string, prefix = ""): Promise<UsageError> {
  const words = await commandWords();
  const match = suggest(word, [...words.keys()], SYNONYMS);
  const meant = match === undefined ? undefined : words.get(match);
  return new UsageError(
    `unknown command: ${word}`,
    meant === undefined
      ? "Run 'kpm help' for the list of commands."
      : `Did you mean "kpm ${prefix}${meant}"?`,
  );
}

/** `kpm dev: unknown subcommand "<x>" (use serve, enroll, …)` and the closest subcommand. */
export async function unknownSubcommand(
  group: string,
  command: KpmCommand,
  word: string,
): Promise<UsageError> {
  const names = await subcommandNames(command);
  const choices = names.length > 1 ? `${names.slice(0, -1).join(", ")} or ${names.at(-1)}` : names.join("");
  const match = suggest(word, names);
  return new UsageError(
    `kpm ${group}: unknown subcommand "${word}" (use ${choices})`,
    match === undefined ? `Run 'kpm ${group} --help' for usage.` : `Did you mean "kpm ${group} ${match}"?`,
  );
}
