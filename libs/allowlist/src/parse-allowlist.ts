// Parses secure-allowlist.yaml (§9.1.2) into tool → patterns, reporting every problem with
// its line. Anything that is not exactly the documented shape is an error, never "allow all".

import { isAlias, isMap, isScalar, isSeq, LineCounter, type Node, parseDocument, visit } from "yaml";
import { parseError } from "./allowlist-error.ts";
import { isValidPattern } from "./pattern.ts";

/** Tool name → variable-name patterns; null when the tool is mapped to null (listed, allows nothing). */
export type Allowlist = Map<string, string[] | null>;

export const MAX_ALLOWLIST_BYTES = 1 << 20;
export const TOO_LARGE = "file too large (max 1 MiB)";
const TOP_LEVEL = "top level must be a mapping of tool name to a list of variable names";

interface Located {
  range?: [number, number, number] | null | undefined;
}

export function parseAllowlist(text: string, path: string): Allowlist {
  if (Buffer.byteLength(text, "utf8") > MAX_ALLOWLIST_BYTES) throw parseError(path, TOO_LARGE);
  const lines = new LineCounter();
  const fail = (offset: number, problem: string): never => {
    throw parseError(`${path}:${lines.linePos(offset).line}`, problem);
  };
  const failAt = (node: Located | null | undefined, problem: string): never =>
    fail(node?.range?.[0] ?? 0, problem);

  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false, uniqueKeys: true });
  const syntax = doc.errors[0];
  if (syntax) fail(syntax.pos[0], syntax.message);

  // Aliases are rejected before anything is resolved, so an alias bomb costs one linear walk.
  visit(doc, (_key, node) => {
    if (isAlias(node)) failAt(node, "aliases are not allowed");
    if ((isScalar(node) || isMap(node) || isSeq(node)) && node.anchor)
      failAt(node, "aliases are not allowed");
  });

  const allowlist: Allowlist = new Map();
  const root = doc.contents;
  // An empty file, or one holding only comments or an explicit null, is an empty mapping.
  if (root === null || (isScalar(root) && root.value === null)) return allowlist;
  if (!isMap(root)) return failAt(root, TOP_LEVEL);

  for (const pair of root.items) {
    const key = pair.key as Node | null;
    if (!isScalar(key) || key.value === null) return failAt(key ?? root, TOP_LEVEL);
    // Scalar keys such as 123 are tool names too (Go's yaml.v3 decodes them as strings).
    const tool = typeof key.value === "string" ? key.value : (key.source ?? String(key.value));
    allowlist.set(tool, readPatterns(tool, pair.value as Node | null, key, failAt));
  }
  return allowlist;
}

function readPatterns(
  tool: string,
  value: Node | null,
  key: Node,
  failAt: (node: Located | null | undefined, problem: string) => never,
): string[] | null {
  if (value === null || (isScalar(value) && value.value === null)) return null;
  if (isMap(value)) return failAt(value, `tool "${tool}": tool pinning is not supported in this release`);
  if (!isSeq(value)) return failAt(value ?? key, `tool "${tool}" must map to a list of variable names`);
  const patterns: string[] = [];
  value.items.forEach((item, index) => {
    const node = item as Node | null;
    if (!isScalar(node) || typeof node.value !== "string") {
      failAt(node ?? value, `tool "${tool}": entry ${index + 1} must be a string`);
      return;
    }
    const pattern = node.value;
    if (!isValidPattern(pattern)) failAt(node, `tool "${tool}": invalid variable name pattern "${pattern}"`);
    patterns.push(pattern);
  });
  return patterns;
}
