// The one recogniser of "flat" YAML: a file of only blank lines, comments and `key: value` lines
// whose values are plain scalars (what init and quickstart write). It lets the config and the
// profile readers skip the YAML parser on hot paths (`kpm get`, `kpm run`); whatever it declines
// goes to the parser, which words every error. Reached as `@kpm/template/flat-yaml` so callers do
// not load the template library.

const FLAT_LINE = /^([A-Za-z_][A-Za-z0-9_]*): +(\S+) *$/;
const BLANK_OR_COMMENT = /^[ ]*(#.*)?$/;
/**
 * Plain scalars YAML 1.2 reads as strings whatever follows: a letter, `/`, `_`, `~/`, `./`, `../`
 * or a dot and a letter (`.env.template`, the default_template init writes) first — except the
 * float keywords `.inf` and `.nan` (FLOAT_WORD).
 */
const PLAIN_STRING = /^(?:[A-Za-z/_]|~\/|\.\.?\/|\.[A-Za-z_])[A-Za-z0-9_./~+:@=%-]*$/;
const FLOAT_WORD = /^\.(?:inf|nan)$/i;
// Decimal integers small enough to stay exact as a JavaScript number.
const INTEGER = /^(?:0|-?[1-9][0-9]{0,14})$/;
const KEYWORD = /^(?:true|false|null)$/i;

export type FlatValue = string | number | boolean;

/**
 * The mapping a flat file holds, exactly as the YAML parser would read it, or undefined for
 * anything else (quotes, nesting, flow style, nulls, capitalised booleans, CRLF, duplicate
 * keys, keyword keys, …). Values: `true`/`false` as booleans, decimal integers as numbers,
 * plain strings as strings.
 */
export function readFlatYaml(text: string): Record<string, FlatValue> | undefined {
  if (text.includes("\r")) return undefined;
  const values = new Map<string, FlatValue>();
  for (const line of text.split("\n")) {
    if (BLANK_OR_COMMENT.test(line)) continue;
    const match = FLAT_LINE.exec(line);
    const key = match?.[1];
    const value = match?.[2];
    if (key === undefined || value === undefined || values.has(key) || KEYWORD.test(key)) return undefined;
    if (value === "true" || value === "false") values.set(key, value === "true");
    else if (INTEGER.test(value)) values.set(key, Number(value));
    else if (
      PLAIN_STRING.test(value) &&
      !value.endsWith(":") &&
      !KEYWORD.test(value) &&
      !FLOAT_WORD.test(value)
    )
      values.set(key, value);
    else return undefined;
  }
  return Object.fromEntries(values);
}
