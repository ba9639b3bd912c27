// Loads a template with its includes (spec §5.1–§5.4): profile expansion, reference
// parsing, include resolution with cycle and depth checks, and de-duplication.

import { requireBuiltin } from "@kpm/deferred";
import { basename, resolve } from "@kpm/deferred/path";
import { realPathIfPresent } from "@kpm/libc";
import { checkEntryReference, checkIncludeDirective } from "./entry-checks.ts";
import { TemplateError } from "./error.ts";
import { describeFsError } from "./fs-reason.ts";
import { findIncludeTarget, isInsideDirectory, maxIncludeDepth, withTemplateSuffix } from "./include.ts";
import { parseLine } from "./line.ts";
import { expandProfile, type ProfileValues } from "./profile-expand.ts";
import { projectTemplatesDir } from "./project-dir.ts";
import { type KmsRef, parseReference } from "./reference.ts";
import { readTemplateBytes, splitTemplateLines } from "./template-file.ts";

export type TemplateEntry =
  | { kind: "plain"; key: string; value: string; file: string; line: number }
  /** `raw` is the reference text after profile expansion, as parsed into `ref`. */
  | { kind: "kms"; key: string; ref: KmsRef; raw: string; file: string; line: number };

/**
 * Whether kpm may use a file it is about to parse (project trust): called with the exact bytes
 * that will be parsed. false = treat the file as absent (an include looks further, the top-level
 * template fails); the caller reports why.
 */
export type TrustGate = (file: string, bytes: Uint8Array) => boolean;

export interface TemplateContext {
  /** Project templates live in `<project>/.kpm/templates`, the project found from here (project-dir.ts). */
  cwd: string;
  /** The user's `<TemplatesDir>`. */
  templatesDir: string;
  profile: ProfileValues;
  /** Asked about every file read (top level and includes); absent = every file is usable. */
  trust?: TrustGate;
}

interface Frame {
  realPath: string;
  /** How the cycle message names this file: the top level by its file name, includes by logical path. */
  name: string;
}

interface Loader {
  ctx: TemplateContext;
  includeDirs: string[];
  stack: Frame[];
}

/** Entries in output order: each included file's entries before the file's own, de-duplicated. */
export function loadTemplate(path: string, ctx: TemplateContext): TemplateEntry[] {
  const file = resolve(ctx.cwd, path);
  const loader: Loader = {
    ctx,
    includeDirs: [projectTemplatesDir(resolve(ctx.cwd)), resolve(ctx.cwd, ctx.templatesDir)],
    stack: [],
  };
  const bytes = readTemplateBytes(file);
  if (ctx.trust !== undefined && !ctx.trust(file, bytes)) {
    throw new TemplateError("untrusted", `open template ${file}: not trusted`);
  }
  return loadFile(loader, file, basename(file), bytes);
}

function loadFile(loader: Loader, file: string, name: string, bytes: Uint8Array): TemplateEntry[] {
  loader.stack.push({ realPath: realPathOf(file), name });
  const included: TemplateEntry[] = [];
  const own: TemplateEntry[] = [];
  for (const { number, text } of splitTemplateLines(bytes, file)) {
    const parsed = parseLine(text, file, number);
    switch (parsed.kind) {
      case "skip":
        break;
      case "include":
        included.push(...loadInclude(loader, parsed.text, file, number));
        break;
      case "plain": {
        const value = expandEntry(parsed.value, loader.ctx.profile, file, number, parsed.key);
        own.push({ kind: "plain", key: parsed.key, value, file, line: number });
        break;
      }
      case "kms": {
        const raw = expandEntry(parsed.text, loader.ctx.profile, file, number, parsed.key);
        own.push({
          kind: "kms",
          key: parsed.key,
          ref: parseEntryReference(raw, parsed.key, file, number),
          raw,
          file,
          line: number,
        });
        break;
      }
    }
  }
  loader.stack.pop();
  return dedupe([...included, ...own]);
}

function loadInclude(loader: Loader, directive: string, file: string, line: number): TemplateEntry[] {
  let expanded: string;
  try {
    expanded = expandProfile(directive, loader.ctx.profile);
  } catch (error) {
    throw profileError(error, `${file}:${line}: include`);
  }
  const ref = checkIncludeDirective(parseReference(expanded), file, line);
  const logical = withTemplateSuffix(ref.path);
  // The stack holds the top level (depth 0) and every open include, so its length is the new depth.
  if (loader.stack.length > maxIncludeDepth) {
    throw new TemplateError("include", `${file}:${line}: include depth limit (${maxIncludeDepth}) exceeded`);
  }
  const found = findUsableInclude(loader, logical, `${file}:${line}`);
  if (found === null) {
    throw new TemplateError(
      "include",
      `${file}:${line}: include target "${logical}" not found (checked ${loader.includeDirs.join(", ")})`,
    );
  }
  const { target, realPath, bytes } = found;
  const onStack = loader.stack.findIndex((frame) => frame.realPath === realPath);
  if (onStack !== -1) {
    const cycle = [...loader.stack.slice(onStack).map((frame) => frame.name), logical];
    throw new TemplateError("include", `${file}:${line}: circular include detected: ${cycle.join(" → ")}`);
  }
  return loadFile(loader, target, logical, bytes);
}

/**
 * The first include target that stays inside its templates directory and that the trust gate
 * accepts, with the bytes it judged (they are what is parsed). A target that escapes its
 * directory is an error, never a reason to try the next directory; an untrusted one is skipped.
 */
function findUsableInclude(
  loader: Loader,
  logical: string,
  where: string,
): { target: string; realPath: string; bytes: Uint8Array } | null {
  for (const dir of loader.includeDirs) {
    const target = findIncludeTarget(logical, [dir]);
    if (target === null) continue;
    const realPath = includeRealPath(target.path);
    if (!isInsideDirectory(realPath, target.dir)) {
      throw new TemplateError("include", `${where}: include "${logical}" resolves outside ${target.dir}`);
    }
    const bytes = readTemplateBytes(target.path);
    if (loader.ctx.trust === undefined || loader.ctx.trust(target.path, bytes))
      return { target: target.path, realPath, bytes };
  }
  return null;
}

/** Unlike realPathOf, no fallback: the containment check must never pass on an unresolved path. */
function includeRealPath(path: string): string {
  const real = realPathIfPresent(path);
  if (real !== null) return real;
  try {
    // For the error's wording: node:fs only on this failure (it costs ~3 ms to load).
    return requireBuiltin("node:fs").realpathSync(path);
  } catch (error) {
    throw new TemplateError("io", `open template ${path}: ${describeFsError(error)}`);
  }
}

function expandEntry(text: string, profile: ProfileValues, file: string, line: number, key: string): string {
  try {
    return expandProfile(text, profile);
  } catch (error) {
    throw profileError(error, `${file}:${line}: entry "${key}"`);
  }
}

function profileError(error: unknown, where: string): unknown {
  if (!(error instanceof TemplateError)) return error;
  return new TemplateError("profile", `error resolving profile variables: ${where}: ${error.message}`);
}

function parseEntryReference(raw: string, key: string, file: string, line: number): KmsRef {
  const ref = checkEntryReference(parseReference(raw), key, file, line);
  // `include` is reserved for directives; a profile value must not smuggle one into an entry.
  if (ref.type === "include") {
    throw new TemplateError(
      "parse",
      `${file}:${line}: "${key}": \${kms:include/…} is only allowed as an include directive`,
    );
  }
  return ref;
}

function realPathOf(file: string): string {
  // The file was just read, so null only happens in a race; the resolved path still identifies it.
  return realPathIfPresent(file) ?? file;
}

/** Position of the first occurrence, content of the last (spec §5.1 rule 5). */
export function dedupe(entries: readonly TemplateEntry[]): TemplateEntry[] {
  const result: TemplateEntry[] = [];
  const positions = new Map<string, number>();
  for (const entry of entries) {
    const position = positions.get(entry.key);
    if (position === undefined) {
      positions.set(entry.key, result.length);
      result.push(entry);
    } else {
      result[position] = entry;
    }
  }
  return result;
}
