// "Did you mean …?": the edit distance against known values, the choice of one candidate (or
// none), and the command table it is computed over (groups, hidden commands, examples).
import { describe, expect, test } from "bun:test";
import fc from "fast-check";
import type { KpmCommand } from "../src/cli/command.ts";
import { editDistance, suggest } from "../src/cli/suggest.ts";
import { aliases, commands, groups } from "../src/commands/index.ts";

describe("editDistance (optimal string alignment)", () => {
  test("known distances", () => {
    for (const [a, b, distance] of [
      ["", "", 0],
      ["list", "list", 0],
      ["lst", "list", 1],
      ["lsit", "list", 1],
      ["ab", "ba", 1],
      ["kitten", "sitting", 3],
      ["ca", "abc", 3],
      ["stat", "status", 2],
      ["", "abc", 3],
    ] as const) {
      expect([a, b, editDistance(a, b)]).toEqual([a, b, distance]);
    }
  });

  test("symmetric, zero only for equal strings, at most the longer length", () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 12 }), fc.string({ maxLength: 12 }), (a, b) => {
        const distance = editDistance(a, b);
        expect(distance).toBe(editDistance(b, a));
        expect(distance === 0).toBe(a === b);
        expect(distance).toBeLessThanOrEqual(Math.max(a.length, b.length));
        expect(distance).toBeGreaterThanOrEqual(Math.abs(a.length - b.length));
      }),
    );
  });
});

describe("suggest", () => {
  const words = ["list", "get", "run", "remove", "describe", "decrypt", "dev", "status", "stop"];

  test("one clear candidate within the distance limit, case ignored", () => {
    expect(suggest("lst", words)).toBe("list");
    expect(suggest("lsit", words)).toBe("list");
    expect(suggest("LIST", words)).toBe("list");
    expect(suggest("gte", words)).toBe("get");
    expect(suggest("remvoe", words)).toBe("remove");
  });

  test("short words allow one edit only: rm is not a typo of run", () => {
    expect(suggest("rm", words)).toBeUndefined();
    expect(suggest("rm", words, { rm: "remove" })).toBe("remove");
  });

  test("a tie goes to the candidate the word starts, else nothing", () => {
    expect(suggest("stat", words)).toBe("status");
    expect(suggest("sto", ["stop", "stow"])).toBeUndefined();
  });

  test("a unique prefix is suggested; an ambiguous one is not", () => {
    expect(suggest("inc", ["include-deleted", "json", "tag"])).toBe("include-deleted");
    expect(suggest("desc", ["describe", "description"])).toBeUndefined();
  });

  test("nothing for words far from every candidate, or empty", () => {
    expect(suggest("frobnicate", words)).toBeUndefined();
    expect(suggest("", words)).toBeUndefined();
    expect(suggest("nope", ["serve", "enroll", "secrets", "status", "stop"])).toBeUndefined();
  });

  test("a synonym must name a real candidate", () => {
    expect(suggest("ls", words, { ls: "nonexistent" })).toBeUndefined();
  });
});

describe("the command table", () => {
  async function load(name: string): Promise<KpmCommand> {
    const loader = commands[name];
    if (!loader) throw new Error(`no command ${name}`);
    return loader();
  }

  async function subcommands(command: KpmCommand): Promise<Array<[string, KpmCommand]>> {
    const table = command.subCommands;
    if (!table) return [];
    const resolved = (typeof table === "function" ? await table() : await table) as Record<string, unknown>;
    const out: Array<[string, KpmCommand]> = [];
    for (const [name, entry] of Object.entries(resolved)) {
      out.push([
        name,
        (typeof entry === "function" ? await (entry as () => unknown)() : await entry) as KpmCommand,
      ]);
    }
    return out;
  }

  test("`groups` names exactly the commands that have subcommands", async () => {
    const withSubcommands: string[] = [];
    for (const name of Object.keys(commands)) if ((await load(name)).subCommands) withSubcommands.push(name);
    expect(withSubcommands.sort()).toEqual([...groups].sort());
  });

  test("every visible command and subcommand has at least one example that runs kpm", async () => {
    const missing: string[] = [];
    const visit = async (path: string, command: KpmCommand) => {
      const hidden = (command.meta as { hidden?: boolean } | undefined)?.hidden === true;
      if (!hidden) {
        const examples = command.examples ?? [];
        if (examples.length === 0 || !examples.every((example) => /\bkpm /.test(example.command)))
          missing.push(path);
      }
      for (const [name, sub] of await subcommands(command)) await visit(`${path} ${name}`, sub);
    };
    for (const name of Object.keys(commands)) await visit(name, await load(name));
    expect(missing).toEqual([]);
  });

  test("every alias names a command", () => {
    for (const target of Object.values(aliases)) expect(Object.keys(commands)).toContain(target);
  });
});
