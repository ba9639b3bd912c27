// What a secret path and its segments may contain: the one rule the template, the client, the dev
// server and `config pull` share, so a path one of them accepts is never refused by another.

/** C0 controls, DEL and C1 controls (U+0080–U+009F): never valid in a path or a file name. */
export const CONTROL_CHARACTER = /[\u0000-\u001f\u007f-\u009f]/;

// 64 or more hex digits in a row look like a pasted key or hash, not a name.
const LONG_HEX_RUN = /[0-9a-fA-F]{64,}/;

/** Why a path is refused, as a code; each caller words it for its own protocol. */
export type PathProblem = "empty-segment" | "dot-segment" | "control-character" | "long-hex-run";

export function hasControlCharacter(text: string): boolean {
  return CONTROL_CHARACTER.test(text);
}

export function hasLongHexRun(text: string): boolean {
  return LONG_HEX_RUN.test(text);
}

/** Why one `/`-free segment is refused, or null: empty, `.`/`..`, or a control character. */
export function segmentProblem(segment: string): Exclude<PathProblem, "long-hex-run"> | null {
  if (segment === "") return "empty-segment";
  if (segment === "." || segment === "..") return "dot-segment";
  if (hasControlCharacter(segment)) return "control-character";
  return null;
}

/** The first segment of `path` that is refused, with why, or null when every segment is fine. */
export function firstBadSegment(
  path: string,
): { segment: string; problem: Exclude<PathProblem, "long-hex-run"> } | null {
  for (const segment of path.split("/")) {
    const problem = segmentProblem(segment);
    if (problem !== null) return { segment, problem };
  }
  return null;
}

/**
 * Why the client and the dev server refuse `path`, in the words both put on the wire: "control
 * character" anywhere, else the first "empty segment" or `"." segment`/`".." segment`; null when
 * the segments are fine (each adds its own check of the long hex run).
 */
export function describeSegmentProblem(path: string): string | null {
  if (hasControlCharacter(path)) return "control character";
  const bad = firstBadSegment(path);
  if (bad === null) return null;
  return bad.problem === "empty-segment" ? "empty segment" : `"${bad.segment}" segment`;
}
