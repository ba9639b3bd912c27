// `bun run blog-refs` (spec §16.1): the `//blog:part-<N>` annotations on CLI flag and command
// definitions, as JSON ({"part-2":["env --output", …]}), each resolved against the real command
// definitions so a renamed or removed flag fails here before the blog's audit CI notices.
import { readdirSync, readFileSync } from "node:fs";
import { basename, join, relative } from "node:path";
import type { ArgsDef } from "citty";
import type { KpmCommand } from "../apps/kpm/src/cli/command.ts";
import { commands } from "../apps/kpm/src/commands/index.ts";

export const COMMANDS_DIR = join(import.meta.dir, "..", "apps", "kpm", "src", "commands");

const ANNOTATION = /\/\/blog:part-(\d+)/g;
const COMMAND_DEFINITION = /^export default defineKpmCommand\(/;
const HOOK_GENERATOR = /^export function \w+\(/;
const FLAG_DEFINITION = /^(?:"([a-z][a-z0-9-]*)"|([a-z][a-z0-9]*)): \{/;

export interface BlogRef {
  part: string;
  /** "env", "run --strict", "dev serve --addr". */
  entry: string;
  /** file:line of the annotation, for error messages. */
  at: string;
}

/** Files under `dir`, recursively, that end in .ts. */
function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return sourceFiles(path);
    return entry.isFile() && entry.name.endsWith(".ts") ? [path] : [];
  });
}

/** The command a file defines: commands/<name>.ts → "<name>", commands/dev/<name>.ts → "dev <name>". */
export function commandOfFile(root: string, file: string): string {
  const parts = relative(root, file).split("/");
  const name = basename(parts.pop() ?? "", ".ts");
  const group = [...parts, name === "index" ? "" : name].filter((word) => word.length > 0);
  return group.join(" ");
}

/**
 * Every annotation under `root`, attached to the definition on the next non-comment line.
 * An annotation above anything else is an error: the blog would point at nothing.
 */
export function scanBlogRefs(root: string = COMMANDS_DIR): { refs: BlogRef[]; errors: string[] } {
  const refs: BlogRef[] = [];
  const errors: string[] = [];
  for (const file of sourceFiles(root).sort()) {
    const lines = readFileSync(file, "utf8").split("\n");
    const command = commandOfFile(root, file);
    lines.forEach((line, index) => {
      const parts = [...line.matchAll(ANNOTATION)].map((match) => `part-${match[1]}`);
      if (parts.length === 0) return;
      const at = `${relative(join(root, "..", "..", "..", ".."), file)}:${index + 1}`;
      let next = index + 1;
      while (next < lines.length && (lines[next] ?? "").trim().startsWith("//")) next += 1;
      const definition = (lines[next] ?? "").trim();
      const flag = FLAG_DEFINITION.exec(definition);
      let entry: string | null = null;
      if (COMMAND_DEFINITION.test(definition) || HOOK_GENERATOR.test(definition)) entry = command;
      else if (flag) entry = `${command} --${flag[1] ?? flag[2]}`;
      if (entry === null) {
        errors.push(`${at}: //blog annotation is not directly above a flag or command definition`);
        return;
      }
      for (const part of parts) refs.push({ part, entry, at });
    });
  }
  return { refs, errors };
}

async function loadCommand(words: string[]): Promise<KpmCommand | null> {
  const [first, ...rest] = words;
  const loader = first === undefined ? undefined : commands[first];
  if (!loader) return null;
  let command = await loader();
  for (const word of rest) {
    const table = command.subCommands;
    const resolved = (typeof table === "function" ? await table() : await table) as
      | Record<string, unknown>
      | undefined;
    const entry = resolved?.[word];
    if (entry === undefined) return null;
    command = (typeof entry === "function" ? await (entry as () => unknown)() : await entry) as KpmCommand;
  }
  return command;
}

/** Why `entry` does not name a real command or flag, or null when it does. */
export async function unresolved(entry: string): Promise<string | null> {
  const words = entry.split(" ");
  const flagWord = words.at(-1)?.startsWith("--") ? words.pop() : undefined;
  const command = await loadCommand(words);
  if (!command) return `no command "kpm ${words.join(" ")}"`;
  if (flagWord === undefined) return null;
  const args = (command.args ?? {}) as ArgsDef;
  return Object.hasOwn(args, flagWord.slice(2)) ? null : `"kpm ${words.join(" ")}" has no flag ${flagWord}`;
}

/** The map the blog's audit CI reads: part → sorted, de-duplicated entries. */
export function blogRefMap(refs: BlogRef[]): Record<string, string[]> {
  const map = new Map<string, Set<string>>();
  for (const ref of refs) {
    const entries = map.get(ref.part) ?? new Set<string>();
    entries.add(ref.entry);
    map.set(ref.part, entries);
  }
  const byPart = [...map.keys()].sort((a, b) => Number(a.slice(5)) - Number(b.slice(5)));
  return Object.fromEntries(byPart.map((part) => [part, [...(map.get(part) ?? [])].sort()]));
}

/** Scans, resolves every entry, and returns the JSON map or the problems found. */
export async function blogRefs(
  root: string = COMMANDS_DIR,
): Promise<{ map: Record<string, string[]>; errors: string[] }> {
  const { refs, errors } = scanBlogRefs(root);
  for (const ref of refs) {
    const reason = await unresolved(ref.entry);
    if (reason !== null) errors.push(`${ref.at}: //blog:${ref.part} names ${ref.entry}: ${reason}`);
  }
  return { map: blogRefMap(refs), errors };
}

if (import.meta.main) {
  const { map, errors } = await blogRefs();
  for (const error of errors) console.error(error);
  console.log(JSON.stringify(map));
  process.exit(errors.length > 0 ? 1 : 0);
}
