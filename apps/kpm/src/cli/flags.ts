// Go-flag-style argv parsing (spec §3.2): one or two dashes, `--name value` / `--name=value`,
// flags and positionals interleaved, `--` ends flags, exit-2 errors worded like Go's flag package.
import type { ArgsDef } from "citty";
import { suggest } from "./suggest.ts";

export class FlagError extends Error {
  override readonly name = "FlagError";
  constructor(
    message: string,
    /** false for errors raised before a command is known: no "Run 'kpm … --help'" hint. */
    readonly withUsageHint = true,
    /** For an unknown flag: the defined flag it most likely meant (without dashes). */
    readonly suggestion?: string,
  ) {
    super(message);
  }
}

/** The unknown-flag error, with the closest defined flag name (one-letter aliases are not guessed). */
function unknownFlag(name: string, known: Iterable<string>): FlagError {
  const candidates = [...known].filter((candidate) => candidate.length > 1);
  return new FlagError(`flag provided but not defined: -${name}`, true, suggest(name, candidates));
}

export interface ParsedFlags {
  /** Flag values by canonical name (aliases resolved). Booleans are true/false, strings as given. */
  values: Record<string, string | boolean>;
  positionals: string[];
  /** `-h` / `--help` was given (and is not a defined flag of the command). */
  help: boolean;
}

export interface ParseOptions {
  /** `run`: stop at the first positional; it and everything after it are positionals, verbatim. */
  stopAtFirstPositional?: boolean;
}

const BOOL_VALUES: Record<string, boolean> = {
  "1": true,
  t: true,
  T: true,
  true: true,
  TRUE: true,
  True: true,
  "0": false,
  f: false,
  F: false,
  false: false,
  FALSE: false,
  False: false,
};

interface Lookup {
  canonical: string;
  boolean: boolean;
}

function buildLookup(defs: ArgsDef): Map<string, Lookup> {
  const lookup = new Map<string, Lookup>();
  for (const [name, def] of Object.entries(defs)) {
    if (def.type === "positional") continue;
    const entry = { canonical: name, boolean: def.type === "boolean" };
    lookup.set(name, entry);
    const aliases = "alias" in def ? def.alias : undefined;
    for (const alias of typeof aliases === "string" ? [aliases] : (aliases ?? [])) lookup.set(alias, entry);
  }
  return lookup;
}

interface FlagToken {
  name: string;
  inlineValue: string | undefined;
}

/** Splits `-name`, `--name` or `--name=value`; null when `arg` is not a flag. */
function splitFlag(arg: string): FlagToken | null {
  if (arg.length < 2 || arg[0] !== "-") return null;
  const body = arg[1] === "-" ? arg.slice(2) : arg.slice(1);
  if (body.length === 0 || body[0] === "-" || body[0] === "=") {
    throw new FlagError(`bad flag syntax: ${arg}`);
  }
  const eq = body.indexOf("=");
  return eq === -1
    ? { name: body, inlineValue: undefined }
    : { name: body.slice(0, eq), inlineValue: body.slice(eq + 1) };
}

/** Stores the flag's value; returns how many following argv items it consumed (0 or 1). */
function assignFlag(
  token: FlagToken,
  flag: Lookup,
  next: string | undefined,
  values: Record<string, string | boolean>,
): number {
  if (flag.boolean) {
    if (token.inlineValue === undefined) {
      values[flag.canonical] = true;
      return 0;
    }
    const parsed = BOOL_VALUES[token.inlineValue];
    if (parsed === undefined)
      throw new FlagError(`invalid boolean value "${token.inlineValue}" for -${token.name}`);
    values[flag.canonical] = parsed;
    return 0;
  }
  if (token.inlineValue !== undefined) {
    values[flag.canonical] = token.inlineValue;
    return 0;
  }
  if (next === undefined) throw new FlagError(`flag needs an argument: -${token.name}`);
  values[flag.canonical] = next;
  return 1;
}

/** Parses `argv` against flag definitions (citty's ArgsDef shape; `positional` entries are ignored). */
export function parseFlags(argv: readonly string[], defs: ArgsDef, options: ParseOptions = {}): ParsedFlags {
  const lookup = buildLookup(defs);
  const values: Record<string, string | boolean> = {};
  const positionals: string[] = [];
  let help = false;
  let index = 0;
  while (index < argv.length) {
    const arg = argv[index] as string;
    index++;
    if (arg === "--") {
      positionals.push(...argv.slice(index));
      break;
    }
    const token = splitFlag(arg);
    if (!token) {
      positionals.push(arg);
      if (options.stopAtFirstPositional) {
        positionals.push(...argv.slice(index));
        break;
      }
      continue;
    }
    const flag = lookup.get(token.name);
    if (!flag) {
      if (token.name === "h" || token.name === "help") {
        help = true;
        continue;
      }
      throw unknownFlag(token.name, [...lookup.keys(), "help"]);
    }
    index += assignFlag(token, flag, argv[index], values);
  }
  return { values, positionals, help };
}

export interface LeadingGlobals {
  values: Record<string, string | boolean>;
  /** Index in argv of the command word, or argv.length when there is none. */
  commandIndex: number;
  help: boolean;
  version: boolean;
}

/**
 * Parses the global flags that may precede the command (§3.2): only global flags, plus
 * `--help`/`-h`/`--version` used instead of a command. Anything else is an exit-2 error
 * without the per-command usage hint.
 */
export function parseLeadingGlobals(argv: readonly string[], globals: ArgsDef): LeadingGlobals {
  const lookup = buildLookup(globals);
  const values: Record<string, string | boolean> = {};
  let index = 0;
  try {
    while (index < argv.length) {
      const arg = argv[index] as string;
      if (arg === "--") return { values, commandIndex: index + 1, help: false, version: false };
      const token = splitFlag(arg);
      if (!token) break;
      if (token.name === "help" || token.name === "h")
        return { values, commandIndex: index, help: true, version: false };
      if (token.name === "version") return { values, commandIndex: index, help: false, version: true };
      const flag = lookup.get(token.name);
      if (!flag) throw unknownFlag(token.name, [...lookup.keys(), "help", "version"]);
      index++;
      index += assignFlag(token, flag, argv[index], values);
    }
  } catch (error) {
    if (error instanceof FlagError) throw new FlagError(error.message, false, error.suggestion);
    throw error;
  }
  return { values, commandIndex: index, help: false, version: false };
}
