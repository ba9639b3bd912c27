// The reserved keys of a tool's entry (docs/allowlist.md, "Tool settings"): `path` and `sha256`
// pin the tool's executable, `inherit` lets inherited variables through the --secure env policy.
// Any other key of a mapping is a pinned variable name (pin.ts).

import { isScalar, isSeq, type Node, type YAMLSeq } from "yaml";
import { isValidPattern } from "./pattern.ts";

export interface ToolSettings {
  /** The tool must be this file (both sides resolved through every link). */
  path?: string;
  /** The tool's content must have this SHA-256 (lower-case hex). */
  sha256?: string;
  /** Names and globs of inherited variables the tool keeps even when they look like credentials. */
  inherit?: string[];
}

const KEYS = new Set(["path", "sha256", "inherit"]);

export function isToolSettingKey(key: unknown): key is keyof ToolSettings {
  return typeof key === "string" && KEYS.has(key);
}

interface Located {
  range?: [number, number, number] | null | undefined;
}
type FailAt = (node: Located | null | undefined, problem: string) => never;

/** The text of a scalar as written (a digest of digits alone is read as a number by YAML). */
function scalarText(node: Node | null): string | null {
  if (!isScalar(node) || node.value === null) return null;
  if (typeof node.value === "string") return node.value;
  return typeof node.value === "number" ? (node.source ?? String(node.value)) : null;
}

/** Reads one reserved key into `settings`; a key given twice (across list items too) is an error. */
export function readToolSetting(
  tool: string,
  key: keyof ToolSettings,
  keyNode: Node,
  value: Node | null,
  settings: ToolSettings,
  failAt: FailAt,
): void {
  if (settings[key] !== undefined) failAt(keyNode, `tool "${tool}": ${key} is set more than once`);
  if (key === "inherit") {
    if (!isSeq(value))
      failAt(value ?? keyNode, `tool "${tool}": inherit must be a list of variable names or globs`);
    const patterns: string[] = [];
    for (const item of (value as YAMLSeq).items as Array<Node | null>) {
      const text = isScalar(item) && typeof item.value === "string" ? item.value : null;
      if (text === null || !isValidPattern(text))
        failAt(
          item ?? value,
          `tool "${tool}": inherit: invalid variable name pattern ${JSON.stringify(text ?? "")}`,
        );
      patterns.push(text as string);
    }
    settings.inherit = patterns;
    return;
  }
  const text = scalarText(value);
  if (key === "path") {
    if (text === null || !text.startsWith("/") || text.includes("\0"))
      failAt(value ?? keyNode, `tool "${tool}": path must be the absolute path of the tool`);
    settings.path = text as string;
    return;
  }
  if (text === null || !/^[0-9a-fA-F]{64}$/.test(text))
    failAt(value ?? keyNode, `tool "${tool}": sha256 must be 64 hexadecimal digits`);
  settings.sha256 = (text as string).toLowerCase();
}
