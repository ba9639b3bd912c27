// The ${kms:…} reference grammar (spec §5.2): parsing, path validation and display.

import { hasLongHexRun, segmentProblem } from "@kpm/path-rules";

export interface KmsRef {
  type: string;
  path: string;
  /** Field selector after `#`; undefined when absent. */
  key?: string;
  /** undefined = no default; "" = the empty-string default (`:-` followed by nothing). */
  default?: string;
}

// The spec's expression verbatim, except `.` is written `[^\n]` so it means what Go's RE2
// `.` means (JS `.` also refuses \r, U+2028 and U+2029).
const referencePattern = /^\$\{kms:([a-z][a-z0-9-]*)\/([^\n]+?)(?:#([^:}]+))?(?::-([^\n]*?))?\}$/;

export function parseReference(text: string): KmsRef | null {
  const match = referencePattern.exec(text);
  if (match === null) return null;
  const [, type = "", path = "", key, fallback] = match;
  const ref: KmsRef = { type, path };
  if (key !== undefined) ref.key = key;
  if (fallback !== undefined) ref.default = fallback;
  return ref;
}

/** Returns why a reference Path is unacceptable, or null when it is fine. */
export function validateReferencePath(path: string): string | null {
  for (const segment of path.split("/")) {
    const problem = segmentProblem(segment);
    if (problem === "empty-segment") return "empty path segment";
    if (problem === "dot-segment") return `path segment "${segment}" is not allowed`;
    if (problem === "control-character") return "path contains a control character";
    if (segment.startsWith("#") || segment.endsWith("#")) return "path segment starts or ends with '#'";
  }
  // A long hex run is almost always a pasted secret or hash, not a name.
  if (hasLongHexRun(path)) return "path contains a run of 64 or more hex digits";
  return null;
}

/** `type/path[#key]`, the form `kpm tree` shows (the default is never displayed). */
export function formatReference(ref: KmsRef): string {
  const base = `${ref.type}/${ref.path}`;
  return ref.key === undefined ? base : `${base}#${ref.key}`;
}

/** The full `${kms:…}` text that parses back to `ref` where the grammar allows it. */
export function referenceText(ref: KmsRef): string {
  const fallback = ref.default === undefined ? "" : `:-${ref.default}`;
  return "${kms:" + formatReference(ref) + fallback + "}";
}
