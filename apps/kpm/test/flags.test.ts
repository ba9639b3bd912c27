// Go-flag-style argv parsing (spec §3.2): dash forms, values, booleans, the three exit-2 texts,
// `--`, last-wins, aliases, interleaving, run's stop-at-first-positional, and the leading globals
// before a command; plus properties over generated argv.
import { describe, expect, test } from "bun:test";
import type { ArgsDef } from "citty";
import fc from "fast-check";
import { globalArgs } from "../src/cli/command.ts";
import { FlagError, parseFlags, parseLeadingGlobals } from "../src/cli/flags.ts";

const listArgs = {
  ...globalArgs,
  json: { type: "boolean", description: "Print JSON" },
  tag: { type: "string", description: "Filter by tag" },
  yes: { type: "boolean", alias: "y", description: "Skip the prompt" },
  service: { type: "positional", required: false },
} as const satisfies ArgsDef;

function flagError(run: () => unknown): FlagError {
  try {
    run();
  } catch (error) {
    if (error instanceof FlagError) return error;
    throw error;
  }
  throw new Error("expected a FlagError");
}

describe("parseFlags", () => {
  test("long flags take one or two dashes", () => {
    expect(parseFlags(["-json"], listArgs).values).toEqual({ json: true });
    expect(parseFlags(["--json"], listArgs).values).toEqual({ json: true });
    expect(parseFlags(["-tag", "ci"], listArgs).values).toEqual({ tag: "ci" });
  });

  test("values come as --name value or --name=value, and = keeps everything after the first =", () => {
    expect(parseFlags(["--tag", "ci"], listArgs).values).toEqual({ tag: "ci" });
    expect(parseFlags(["--tag=a=b"], listArgs).values).toEqual({ tag: "a=b" });
    expect(parseFlags(["--tag="], listArgs).values).toEqual({ tag: "" });
  });

  test("a value flag takes the next argument even when it looks like a flag", () => {
    expect(parseFlags(["--tag", "--json"], listArgs)).toEqual({
      values: { tag: "--json" },
      positionals: [],
      help: false,
    });
  });

  test("booleans accept =true|false|1|0 (and Go's other spellings)", () => {
    for (const [text, value] of [
      ["true", true],
      ["false", false],
      ["1", true],
      ["0", false],
      ["t", true],
      ["F", false],
      ["TRUE", true],
      ["False", false],
    ] as const) {
      expect(parseFlags([`--json=${text}`], listArgs).values).toEqual({ json: value });
    }
  });

  test("in --name false the false is a positional", () => {
    expect(parseFlags(["--json", "false"], listArgs)).toEqual({
      values: { json: true },
      positionals: ["false"],
      help: false,
    });
  });

  test("an invalid boolean names the value and the flag as typed", () => {
    const error = flagError(() => parseFlags(["--json=yes"], listArgs));
    expect(error.message).toBe('invalid boolean value "yes" for -json');
    expect(error.withUsageHint).toBe(true);
    expect(flagError(() => parseFlags(["-y=2"], listArgs)).message).toBe('invalid boolean value "2" for -y');
  });

  test("a value flag at the end has no argument", () => {
    const error = flagError(() => parseFlags(["svc", "--tag"], listArgs));
    expect(error.message).toBe("flag needs an argument: -tag");
    expect(error.withUsageHint).toBe(true);
  });

  test("an unknown flag is named with one dash whatever was typed", () => {
    expect(flagError(() => parseFlags(["--purge"], listArgs)).message).toBe(
      "flag provided but not defined: -purge",
    );
    expect(flagError(() => parseFlags(["-purge=1"], listArgs)).message).toBe(
      "flag provided but not defined: -purge",
    );
  });

  test("positional definitions are not flags", () => {
    expect(flagError(() => parseFlags(["--service", "x"], listArgs)).message).toBe(
      "flag provided but not defined: -service",
    );
  });

  test("malformed dashes are bad flag syntax", () => {
    for (const arg of ["---json", "-=x", "--=x"]) {
      expect(flagError(() => parseFlags([arg], listArgs)).message).toBe(`bad flag syntax: ${arg}`);
    }
  });

  test("a lone - is a positional", () => {
    expect(parseFlags(["-"], listArgs).positionals).toEqual(["-"]);
  });

  test("-- ends flags: everything after it is positional, including another --", () => {
    expect(parseFlags(["--json", "--", "--tag", "-x", "--"], listArgs)).toEqual({
      values: { json: true },
      positionals: ["--tag", "-x", "--"],
      help: false,
    });
  });

  test("repeating a flag: last wins", () => {
    expect(parseFlags(["--tag", "a", "--tag=b", "-tag", "c"], listArgs).values).toEqual({ tag: "c" });
    expect(parseFlags(["--json", "--json=false"], listArgs).values).toEqual({ json: false });
  });

  test("aliases resolve to the canonical name: -v is --verbose, -y is --yes", () => {
    expect(parseFlags(["-v", "-y"], listArgs).values).toEqual({ verbose: true, yes: true });
    expect(parseFlags(["--v=false"], listArgs).values).toEqual({ verbose: false });
  });

  test("-h and --help ask for help unless the command defines them", () => {
    expect(parseFlags(["svc", "-h"], listArgs)).toEqual({ values: {}, positionals: ["svc"], help: true });
    expect(parseFlags(["--help"], listArgs).help).toBe(true);
    const withH = { host: { type: "string", alias: "h" } } as const satisfies ArgsDef;
    expect(parseFlags(["-h", "example.org"], withH)).toEqual({
      values: { host: "example.org" },
      positionals: [],
      help: false,
    });
  });

  test("flags after positionals are honoured (kpm list svc --json, kpm remove svc/x --purge)", () => {
    expect(parseFlags(["svc", "--json", "other", "--tag", "ci"], listArgs)).toEqual({
      values: { json: true, tag: "ci" },
      positionals: ["svc", "other"],
      help: false,
    });
  });

  test("global flags parse after the command like its own", () => {
    expect(parseFlags(["--server", "https://x:1", "--config=c.yaml"], listArgs).values).toEqual({
      server: "https://x:1",
      config: "c.yaml",
    });
  });

  test("stopAtFirstPositional: kpm run claude --secure passes --secure to the child", () => {
    const runArgs = { ...globalArgs, secure: { type: "boolean" } } as const satisfies ArgsDef;
    expect(parseFlags(["claude", "--secure"], runArgs, { stopAtFirstPositional: true })).toEqual({
      values: {},
      positionals: ["claude", "--secure"],
      help: false,
    });
    expect(
      parseFlags(["--secure", "-v", "claude", "--bogus", "--", "-h"], runArgs, {
        stopAtFirstPositional: true,
      }),
    ).toEqual({
      values: { secure: true, verbose: true },
      positionals: ["claude", "--bogus", "--", "-h"],
      help: false,
    });
    expect(
      parseFlags(["--secure", "--", "-x"], runArgs, { stopAtFirstPositional: true }).positionals,
    ).toEqual(["-x"]);
  });

  test("without stopAtFirstPositional, flags after a child command word are kpm's", () => {
    const runArgs = { secure: { type: "boolean" } } as const satisfies ArgsDef;
    expect(parseFlags(["claude", "--secure"], runArgs).values).toEqual({ secure: true });
  });
});

describe("parseLeadingGlobals", () => {
  test("consumes global flags and their values up to the command word", () => {
    expect(parseLeadingGlobals(["--config", "c.yaml", "-v", "list", "--json"], globalArgs)).toEqual({
      values: { config: "c.yaml", verbose: true },
      commandIndex: 3,
      help: false,
      version: false,
    });
  });

  test("no command: the index is argv.length", () => {
    expect(parseLeadingGlobals(["--server=https://x:1"], globalArgs).commandIndex).toBe(1);
    expect(parseLeadingGlobals([], globalArgs).commandIndex).toBe(0);
  });

  test("--help, -h and --version stand in for the command", () => {
    expect(parseLeadingGlobals(["-v", "--help", "--bogus"], globalArgs)).toMatchObject({ help: true });
    expect(parseLeadingGlobals(["-h"], globalArgs)).toMatchObject({ help: true, commandIndex: 0 });
    expect(parseLeadingGlobals(["-version"], globalArgs)).toMatchObject({ version: true, help: false });
  });

  test("-- ends the leading flags; the command is the word after it", () => {
    expect(parseLeadingGlobals(["-v", "--", "--weird"], globalArgs)).toEqual({
      values: { verbose: true },
      commandIndex: 2,
      help: false,
      version: false,
    });
  });

  test("any other flag before the command is an error without the per-command hint", () => {
    for (const [argv, message] of [
      [["--json", "list"], "flag provided but not defined: -json"],
      [["--config"], "flag needs an argument: -config"],
      [["--verbose=maybe"], 'invalid boolean value "maybe" for -verbose'],
      [["---x"], "bad flag syntax: ---x"],
    ] as const) {
      const error = flagError(() => parseLeadingGlobals(argv, globalArgs));
      expect(error.message).toBe(message);
      expect(error.withUsageHint).toBe(false);
    }
  });
});

// Generated argv: known flags in every accepted spelling, interleaved with positionals.
const STRING_FLAGS = ["config", "server", "tag"] as const;
const BOOL_FLAGS = ["json", "verbose", "yes"] as const;
const ALIASES: Record<string, string> = { verbose: "v", yes: "y" };

type Item =
  | { kind: "string"; name: (typeof STRING_FLAGS)[number]; value: string; inline: boolean; dashes: 1 | 2 }
  | { kind: "bool"; name: (typeof BOOL_FLAGS)[number]; value: boolean | null; dashes: 1 | 2; alias: boolean }
  | { kind: "positional"; value: string };

const positionalText = fc.string({ minLength: 1, maxLength: 8 }).filter((text) => !text.startsWith("-"));
const itemArb: fc.Arbitrary<Item> = fc.oneof(
  fc.record({
    kind: fc.constant("string" as const),
    name: fc.constantFrom(...STRING_FLAGS),
    value: fc.string({ maxLength: 8 }),
    inline: fc.boolean(),
    dashes: fc.constantFrom(1 as const, 2 as const),
  }),
  fc.record({
    kind: fc.constant("bool" as const),
    name: fc.constantFrom(...BOOL_FLAGS),
    value: fc.option(fc.boolean(), { nil: null }),
    dashes: fc.constantFrom(1 as const, 2 as const),
    alias: fc.boolean(),
  }),
  fc.record({ kind: fc.constant("positional" as const), value: positionalText }),
);

function render(item: Item): string[] {
  if (item.kind === "positional") return [item.value];
  const dash = "-".repeat(item.dashes);
  if (item.kind === "string") {
    return item.inline ? [`${dash}${item.name}=${item.value}`] : [`${dash}${item.name}`, item.value];
  }
  const name = item.alias && ALIASES[item.name] ? (ALIASES[item.name] as string) : item.name;
  return item.value === null ? [`${dash}${name}`] : [`${dash}${name}=${item.value ? "1" : "0"}`];
}

describe("properties", () => {
  test("any interleaving of known flags and positionals parses to last-wins values and ordered positionals", () => {
    fc.assert(
      fc.property(fc.array(itemArb, { maxLength: 12 }), (items) => {
        const expectedValues: Record<string, string | boolean> = {};
        const expectedPositionals: string[] = [];
        for (const item of items) {
          if (item.kind === "positional") expectedPositionals.push(item.value);
          else if (item.kind === "string") expectedValues[item.name] = item.value;
          else expectedValues[item.name] = item.value ?? true;
        }
        expect(parseFlags(items.flatMap(render), listArgs)).toEqual({
          values: expectedValues,
          positionals: expectedPositionals,
          help: false,
        });
      }),
    );
  });

  test("with stopAtFirstPositional, everything from the first positional on is passed through verbatim", () => {
    fc.assert(
      fc.property(
        fc.array(itemArb.filter((item) => item.kind !== "positional")),
        positionalText,
        fc.array(fc.string({ maxLength: 8 })),
        (flags, command, rest) => {
          const parsed = parseFlags([...flags.flatMap(render), command, ...rest], listArgs, {
            stopAtFirstPositional: true,
          });
          expect(parsed.positionals).toEqual([command, ...rest]);
        },
      ),
    );
  });

  test("everything after -- is positional, verbatim", () => {
    fc.assert(
      fc.property(
        fc.array(itemArb, { maxLength: 6 }),
        fc.array(fc.string({ maxLength: 8 })),
        (items, rest) => {
          const parsed = parseFlags([...items.flatMap(render), "--", ...rest], listArgs);
          expect(parsed.positionals.slice(parsed.positionals.length - rest.length)).toEqual(rest);
        },
      ),
    );
  });

  test("the parsers throw nothing but FlagError on arbitrary argv", () => {
    const argvArb = fc.array(
      fc.oneof(
        fc.string({ maxLength: 10 }),
        fc.constantFrom("-", "--", "---", "-h", "--help", "-v", "--json=", "--tag", "-=", "--version"),
        fc.string({ maxLength: 6 }).map((text) => `-${text}`),
        fc.string({ maxLength: 6 }).map((text) => `--${text}`),
      ),
      { maxLength: 10 },
    );
    fc.assert(
      fc.property(argvArb, fc.boolean(), (argv, stop) => {
        for (const parse of [
          () => parseFlags(argv, listArgs, { stopAtFirstPositional: stop }),
          () => parseLeadingGlobals(argv, globalArgs),
        ]) {
          try {
            parse();
          } catch (error) {
            expect(error).toBeInstanceOf(FlagError);
          }
        }
      }),
    );
  });
});
