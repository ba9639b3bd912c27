// A dotenv file as lines, so `kpm import` can rewrite the values it moves and keep every other
// line (comments, blanks, ports, hosts) byte for byte.

export type DotenvLine =
  | { kind: "other"; raw: string }
  | {
      kind: "assignment";
      raw: string;
      name: string;
      value: string;
      /** Offset of the value (inside its quotes) in raw, and its length there. */
      valueStart: number;
      valueLength: number;
      /** The text of a trailing ` # comment` (without the `#`), or "" when there is none. */
      comment: string;
      /** raw up to the end of the value (its closing quote included), without the comment. */
      withoutComment: string;
    };

/** `[export ]NAME=value`, the value bare, 'single' or "double" quoted, an optional ` # comment`. */
const ASSIGNMENT = /^(\s*(?:export\s+)?([A-Za-z_][A-Za-z0-9_.]*)\s*=\s*)(.*)$/;

export function parseDotenv(text: string): DotenvLine[] {
  const lines = text.split("\n");
  if (lines[lines.length - 1] === "") lines.pop();
  return lines.map(parseLine);
}

function parseLine(raw: string): DotenvLine {
  const match = ASSIGNMENT.exec(raw);
  if (!match) return { kind: "other", raw };
  const prefix = match[1] ?? "";
  const name = match[2] ?? "";
  const rest = (match[3] ?? "").replace(/\r$/, "");
  const quote = rest[0];
  if (quote === '"' || quote === "'") {
    const close = rest.indexOf(quote, 1);
    if (close === -1) return { kind: "other", raw }; // multi-line values are left alone
    const value = rest.slice(1, close);
    const comment = /#(.*)$/.exec(rest.slice(close + 1))?.[1]?.trim() ?? "";
    const withoutComment = raw.slice(0, prefix.length + close + 1);
    return {
      kind: "assignment",
      raw,
      name,
      value,
      valueStart: prefix.length + 1,
      valueLength: value.length,
      comment,
      withoutComment,
    };
  }
  const hash = rest.search(/\s#/);
  const value = (hash === -1 ? rest : rest.slice(0, hash)).trimEnd();
  const comment = hash === -1 ? "" : rest.slice(rest.indexOf("#", hash) + 1).trim();
  const withoutComment = raw.slice(0, prefix.length + value.length);
  return {
    kind: "assignment",
    raw,
    name,
    value,
    valueStart: prefix.length,
    valueLength: value.length,
    comment,
    withoutComment,
  };
}

/** The line with its value replaced (quotes and trailing comment kept). */
export function replaceValue(line: DotenvLine & { kind: "assignment" }, replacement: string): string {
  return (
    line.raw.slice(0, line.valueStart) + replacement + line.raw.slice(line.valueStart + line.valueLength)
  );
}
