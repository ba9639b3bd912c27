// `kpm allow <tool>`'s edit of an allow-list's text (docs/allowlist.md, "Tool settings"): set the
// tool's `path` and `sha256` settings, adding the tool when it is missing, through YAML's document
// API so every comment, name, pin and other tool stays as written.

import { isMap, isScalar, isSeq, type Node, parseDocument, YAMLMap } from "yaml";
import { parseError } from "./allowlist-error.ts";
import { parseAllowlist } from "./parse-allowlist.ts";

export interface ToolPinUpdate {
  path: string;
  /** Absent: pin the path only (a sha256 already there is removed: it would pin the old content). */
  sha256?: string | undefined;
}

/** The settings mapping of a tool's list: the mapping item that holds path or sha256, if any. */
function settingsItem(items: readonly unknown[]): YAMLMap | undefined {
  return items.find((item): item is YAMLMap => isMap(item) && (item.has("path") || item.has("sha256")));
}

function applyPin(map: YAMLMap, update: ToolPinUpdate): void {
  map.flow = false;
  map.set("path", update.path);
  if (update.sha256 === undefined) map.delete("sha256");
  else map.set("sha256", update.sha256);
}

/**
 * The new text of the allow-list at `file` (its current `text`, "" when it does not exist). The
 * current text must parse (its errors are reported as loadAllowlist would); the result always does.
 */
export function pinToolInAllowlist(text: string, file: string, tool: string, update: ToolPinUpdate): string {
  parseAllowlist(text, file);
  const doc = parseDocument(text);
  let root = doc.contents as Node | null;
  if (!isMap(root)) {
    // Empty, comment-only or `null`: the tool becomes the first entry (comments stay above it).
    root = new YAMLMap();
    doc.contents = root as never;
  }
  const map = root as YAMLMap;
  const pair = map.items.find((item) => isScalar(item.key) && String(item.key.value) === tool);
  const value = pair?.value as Node | null | undefined;
  // A one-line {…} or […] entry would grow past reading with a digest in it: it becomes a block.
  if (isMap(value) || isSeq(value)) value.flow = false;
  if (isMap(value)) applyPin(value, update);
  else if (isSeq(value)) {
    const item = settingsItem(value.items);
    if (item !== undefined) applyPin(item, update);
    else {
      const added = new YAMLMap();
      applyPin(added, update);
      value.items.push(added);
    }
  } else {
    const added = new YAMLMap();
    applyPin(added, update);
    if (pair !== undefined) pair.value = added;
    else map.set(tool, added);
  }
  const result = doc.toString({ flowCollectionPadding: false });
  try {
    parseAllowlist(result, file);
  } catch {
    // Not reachable with a list that parsed: kept so a YAML library change cannot write a bad file.
    throw parseError(file, `cannot add ${tool}'s pin to this file; edit it by hand`);
  }
  return result;
}
