// What the renderers share: the commands of each page (in page order, parents before children),
// and flag names as typed.
import { type CommandSpec, type FlagSpec, flatten } from "../../apps/kpm/src/completion/model.ts";
import { COMMAND_PAGES, type CommandPage } from "./pages.ts";

export interface PageCommands {
  page: CommandPage;
  /** Every command of the page, depth first. */
  specs: CommandSpec[];
}

/** The tree split into pages; throws when a visible command is on no page or on two. */
export function pageCommands(tree: CommandSpec[]): PageCommands[] {
  const canonical = tree.filter((spec) => spec.aliasOf === undefined);
  const placed = new Map<string, string>();
  const pages = COMMAND_PAGES.map((page) => {
    const specs = page.commands.flatMap((name) => {
      const spec = canonical.find((candidate) => candidate.path[0] === name);
      if (!spec) throw new Error(`docs page ${page.file} names "${name}", which is not a kpm command`);
      const earlier = placed.get(name);
      if (earlier) throw new Error(`"kpm ${name}" is on two docs pages: ${earlier} and ${page.file}`);
      placed.set(name, page.file);
      return flatten([spec]);
    });
    return { page, specs };
  });
  const unplaced = canonical.filter((spec) => !placed.has(spec.path[0] ?? ""));
  if (unplaced.length > 0) {
    const names = unplaced.map((spec) => `kpm ${spec.path[0]}`).join(", ");
    throw new Error(`${names}: on no docs page; add it to COMMAND_PAGES in scripts/docs/pages.ts`);
  }
  return pages;
}

/** `kpm dev secrets set` */
export function commandName(spec: CommandSpec): string {
  return ["kpm", ...spec.path].join(" ");
}

/** The aliases of a top-level command (`export` for `env`). */
export function aliasesOf(tree: CommandSpec[], spec: CommandSpec): string[] {
  if (spec.path.length !== 1) return [];
  return tree.filter((other) => other.aliasOf === spec.path[0]).map((other) => other.path[0] ?? "");
}

export interface FlagLine {
  /** Every spelling as typed: `--type-filter <type>`, `--type`, `-y`. */
  spellings: string[];
  description: string;
}

/** One entry per flag (aliases folded into it), own or global. */
export function flagLines(flags: FlagSpec[], global: boolean): FlagLine[] {
  const own = flags.filter((flag) => flag.global === global && flag.aliasOf === undefined);
  return own.map((flag) => {
    const value = flag.valueHint !== undefined ? ` <${flag.valueHint}>` : "";
    const longAliases = flags
      .filter((other) => other.aliasOf === flag.name)
      .map((other) => `--${other.name}`);
    const shortAliases = flag.shortAliases.map((alias) => `-${alias}`);
    return {
      spellings: [`--${flag.name}${value}`, ...longAliases, ...shortAliases],
      description: flag.description,
    };
  });
}
