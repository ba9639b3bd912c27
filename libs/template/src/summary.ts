// Per-file summaries of a templates directory for `kpm tree` (spec §12.1). Nothing is
// resolved: includes are not followed and `{{profile:…}}` is shown as written. Subdirectories
// (`ai/`, `infra/`, where discovery and includes look) are listed too, as `ai/claude.template`.
// node:fs on first use: `kpm run` loads this module with the rest of the template code, and
// loading node:fs costs it ~3 ms.

import type { Dirent } from "node:fs";
import { requireBuiltin } from "@kpm/deferred";
import { join } from "@kpm/deferred/path";
import { checkEntryReference, checkIncludeDirective } from "./entry-checks.ts";
import { TemplateError } from "./error.ts";
import { describeFsError, errorCode } from "./fs-reason.ts";
import { isRegularFile } from "./include.ts";
import { parseLine } from "./line.ts";
import type { TrustGate } from "./load.ts";
import { formatReference, parseReference } from "./reference.ts";
import { readTemplateBytes, splitTemplateLines } from "./template-file.ts";

/**
 * One template: `count` KMS entries and `includes` include directives; `refs` lists both in file
 * order (`include/<path>` for includes). A subdirectory that cannot be read is `unreadable`.
 */
export type TemplateSummary =
  | { name: string; count: number; includes: number; refs: string[] }
  | { name: string; error: string }
  | { name: string; unreadable: string }
  /** The trust gate refused the file: nothing in it is shown. */
  | { name: string; untrusted: true };

export type TemplateDirSummary = { entries: TemplateSummary[] } | { missing: true } | { error: string };

/** How deep subdirectories are listed; include paths deeper than this are rare and still load. */
const MAX_DEPTH = 4;

export function summarizeTemplateDir(dir: string, trust?: TrustGate): TemplateDirSummary {
  let entries: Dirent[];
  try {
    entries = requireBuiltin("node:fs").readdirSync(dir, { withFileTypes: true });
  } catch (error) {
    if (errorCode(error) === "ENOENT") return { missing: true };
    return { error: `open ${dir}: ${describeFsError(error)}` };
  }
  const found: Array<{ name: string; summary?: TemplateSummary }> = [];
  collect(dir, "", entries, 0, found);
  found.sort((a, b) => compareCodePoints(a.name, b.name));
  return {
    entries: found.map(({ name, summary }) => summary ?? summarizeTemplate(join(dir, name), name, trust)),
  };
}

/**
 * Template files (regular, or links to regular files) named `*.template`, and the templates of
 * real subdirectories — not symlinked ones (no cycles) nor dot-directories (`.git`).
 */
function collect(
  root: string,
  prefix: string,
  entries: Dirent[],
  depth: number,
  found: Array<{ name: string; summary?: TemplateSummary }>,
): void {
  for (const entry of entries) {
    const name = `${prefix}${entry.name}`;
    if (entry.name.endsWith(".template")) {
      if (entry.isFile() || (entry.isSymbolicLink() && isRegularFile(join(root, name)))) found.push({ name });
    } else if (entry.isDirectory() && !entry.name.startsWith(".") && depth < MAX_DEPTH) {
      let children: Dirent[];
      try {
        children = requireBuiltin("node:fs").readdirSync(join(root, name), { withFileTypes: true });
      } catch (error) {
        const reason = `open ${join(root, name)}: ${describeFsError(error)}`;
        found.push({ name: `${name}/`, summary: { name: `${name}/`, unreadable: reason } });
        continue;
      }
      collect(root, `${name}/`, children, depth + 1, found);
    }
  }
}

function compareCodePoints(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a), Buffer.from(b));
}

interface Item {
  /** Entries are de-duplicated by key (spec §5.1 rule 5); include directives have none. */
  key: string | null;
  ref: string | null;
}

export function summarizeTemplate(file: string, name: string, trust?: TrustGate): TemplateSummary {
  try {
    const bytes = readTemplateBytes(file);
    if (trust !== undefined && !trust(file, bytes)) return { name, untrusted: true };
    const items: Item[] = [];
    const positions = new Map<string, number>();
    for (const { number, text } of splitTemplateLines(bytes, file)) {
      const parsed = parseLine(text, file, number);
      let item: Item;
      if (parsed.kind === "skip") continue;
      if (parsed.kind === "include") item = { key: null, ref: describeInclude(parsed.text, file, number) };
      else if (parsed.kind === "kms")
        item = { key: parsed.key, ref: describeReference(parsed.text, parsed.key, file, number) };
      else item = { key: parsed.key, ref: null };

      const position = item.key === null ? undefined : positions.get(item.key);
      if (position !== undefined) items[position] = item;
      else {
        if (item.key !== null) positions.set(item.key, items.length);
        items.push(item);
      }
    }
    const refs = items.flatMap((item) => (item.ref === null ? [] : [item.ref]));
    const includes = items.filter((item) => item.key === null).length;
    return { name, count: refs.length - includes, includes, refs };
  } catch (error) {
    if (error instanceof TemplateError) return { name, error: error.message };
    throw error;
  }
}

/**
 * `{{profile:…}}` is swapped for private-use placeholders before parsing, so text such as
 * `:-dev}}` inside a variable cannot be mistaken for reference syntax, then put back.
 */
interface Masked {
  text: string;
  variables: string[];
}

function maskProfileVariables(text: string, where: string): Masked {
  const variables: string[] = [];
  let masked = "";
  let rest = text;
  for (;;) {
    const start = rest.indexOf("{{profile:");
    if (start === -1) break;
    const end = rest.indexOf("}}", start + 10);
    if (end === -1) {
      throw new TemplateError(
        "profile",
        `error resolving profile variables: ${where}: unterminated profile variable in "${text}"`,
      );
    }
    masked += `${rest.slice(0, start)}\uE000${variables.length}\uE001`;
    variables.push(rest.slice(start, end + 2));
    rest = rest.slice(end + 2);
  }
  return { text: masked + rest, variables };
}

function unmask(text: string, variables: readonly string[]): string {
  return text.replace(/\uE000(\d+)\uE001/g, (_, index: string) => variables[Number(index)] ?? "");
}

function describeReference(text: string, key: string, file: string, line: number): string {
  const masked = maskProfileVariables(text, `${file}:${line}: entry "${key}"`);
  const ref = parseReference(masked.text);
  if (masked.variables.length === 0) {
    // Without profile variables the text is final: report what loading it would report.
    checkEntryReference(ref, key, file, line);
  }
  if (ref === null) return unmask(withoutDefault(masked.text), masked.variables);
  return unmask(formatReference(ref), masked.variables);
}

function describeInclude(text: string, file: string, line: number): string {
  const masked = maskProfileVariables(text, `${file}:${line}: include`);
  const ref = parseReference(masked.text);
  if (masked.variables.length === 0) checkIncludeDirective(ref, file, line);
  if (ref === null) return unmask(withoutDefault(masked.text), masked.variables);
  return unmask(`include/${ref.path}`, masked.variables);
}

/** Best-effort display of a reference that only parses once profiles are known. */
function withoutDefault(masked: string): string {
  const inner = masked.slice("${kms:".length, masked.endsWith("}") ? -1 : undefined);
  const fallback = inner.indexOf(":-");
  return fallback === -1 ? inner : inner.slice(0, fallback);
}
