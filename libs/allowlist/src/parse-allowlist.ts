// Parses secure-allowlist.yaml (§9.1.2, docs/allowlist.md) into tool → patterns and pins,
// reporting every problem with its line. Anything that is not exactly the documented shape is
// an error, never "allow all".

import {
  isAlias,
  isMap,
  isScalar,
  isSeq,
  LineCounter,
  type Node,
  parseDocument,
  visit,
  type YAMLMap,
} from "yaml";
import { parseError } from "./allowlist-error.ts";
import { readBrokeredPin } from "./brokered.ts";
import { isValidPattern, isVariableName } from "./pattern.ts";
import { parsePin, type ReferenceLike } from "./pin.ts";
import { isToolSettingKey, readToolSetting, type ToolSettings } from "./tool-settings.ts";

export interface ToolAllowlist {
  /** Unpinned entries: exact variable names and globs. */
  patterns: string[];
  /** Exact variable name → the only reference it may come from; wins over every pattern. */
  pins: Map<string, ReferenceLike>;
  /** Brokered pins (`NAME: {ref, hosts}`): name → the host patterns that may receive the value. */
  brokered?: Map<string, string[]>;
  /** The reserved keys path, sha256 and inherit (tool-settings.ts); absent when none is given. */
  settings?: ToolSettings;
}

/** Tool name → its entries; null when the tool is mapped to null (listed, allows nothing). */
export type Allowlist = Map<string, ToolAllowlist | null>;

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
    allowlist.set(tool, readTool(tool, pair.value as Node | null, key, failAt));
  }
  return allowlist;
}

type FailAt = (node: Located | null | undefined, problem: string) => never;

/** A tool's value: null, a list of names and `{NAME: ref}` mappings, or one such mapping. */
function readTool(tool: string, value: Node | null, key: Node, failAt: FailAt): ToolAllowlist | null {
  if (value === null || (isScalar(value) && value.value === null)) return null;
  const rules: ToolAllowlist = { patterns: [], pins: new Map() };
  if (isMap(value)) {
    readPins(tool, value, rules, failAt);
    return rules;
  }
  if (!isSeq(value)) return failAt(value ?? key, `tool "${tool}" must map to a list of variable names`);
  value.items.forEach((item, index) => {
    const node = item as Node | null;
    if (isMap(node)) {
      readPins(tool, node, rules, failAt);
      return;
    }
    if (!isScalar(node) || typeof node.value !== "string") {
      failAt(node ?? value, `tool "${tool}": entry ${index + 1} must be a string`);
      return;
    }
    const pattern = node.value;
    if (!isValidPattern(pattern)) failAt(node, `tool "${tool}": invalid variable name pattern "${pattern}"`);
    rules.patterns.push(pattern);
  });
  return rules;
}

/**
 * `NAME: ref` pairs; a pinned name is exact (a glob would pin every match to one secret). The
 * lower-case keys path, sha256 and inherit are the tool's settings, not variable names.
 */
function readPins(tool: string, map: YAMLMap, rules: ToolAllowlist, failAt: FailAt): void {
  for (const pair of map.items) {
    const keyNode = pair.key as Node | null;
    const valueNode = pair.value as Node | null;
    if (isScalar(keyNode) && isToolSettingKey(keyNode.value)) {
      rules.settings ??= {};
      readToolSetting(tool, keyNode.value, keyNode, valueNode, rules.settings, failAt);
      continue;
    }
    if (!isScalar(keyNode) || keyNode.value === null || typeof keyNode.value === "object")
      failAt(keyNode ?? map, `tool "${tool}": a pinned name must be a variable name`);
    const name =
      typeof keyNode.value === "string" ? keyNode.value : (keyNode.source ?? String(keyNode.value));
    if (name.includes("*"))
      failAt(keyNode, `tool "${tool}": pinned name "${name}" must be an exact variable name, not a glob`);
    if (!isVariableName(name)) failAt(keyNode, `tool "${tool}": invalid variable name "${name}"`);
    if (rules.pins.has(name)) failAt(keyNode, `tool "${tool}": "${name}" is pinned more than once`);
    if (isMap(valueNode)) {
      const brokered = readBrokeredPin(tool, name, valueNode, failAt);
      rules.pins.set(name, brokered.pin);
      rules.brokered ??= new Map();
      rules.brokered.set(name, brokered.hosts);
      continue;
    }
    if (!isScalar(valueNode) || typeof valueNode.value !== "string")
      failAt(
        valueNode ?? keyNode,
        `tool "${tool}": "${name}" must be pinned to a reference such as llm/anthropic`,
      );
    const parsed = parsePin(valueNode.value);
    if (!parsed.ok) failAt(valueNode, `tool "${tool}": "${name}" ${parsed.problem}`);
    rules.pins.set(name, parsed.pin);
  }
}
