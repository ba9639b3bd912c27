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
    return { kind: "assignment", raw, name, value, valueStart: prefix.length + 1, valueLength: value.length };
  }
  const comment = rest.search(/\s#/);
  const value = (comment === -1 ? rest : rest.slice(0, comment)).trimEnd();
  return { kind: "assignment", raw, name, value, valueStart: prefix.length, valueLength: value.length };
}

/** The line with its value replaced (quotes and trailing comment kept). */
export function replaceValue(line: DotenvLine & { kind: "assignment" }, replacement: string): string {
  return (
    line.raw.slice(0, line.valueStart) + replacement + line.raw.slice(line.valueStart + line.valueLength)
  );
}
