// Recognises config files that certainly hold no profile without parsing YAML: only blank lines,
// comments and `key: value` lines with plain scalars, no duplicate key and no `profile` key (what
// init and quickstart write). Anything else is left to the YAML parser, which words every error.

const FLAT_LINE = /^([A-Za-z_][A-Za-z0-9_]*): +(\S+) *$/;
const BLANK_OR_COMMENT = /^[ ]*(#.*)?$/;
/** Plain scalars YAML 1.2 reads without any indicator: a letter, `/`, `_`, `~/`, `./` or `../` first. */
const PLAIN_STRING = /^(?:[A-Za-z/_]|~\/|\.\.?\/)[A-Za-z0-9_./~+:@=%-]*$/;
const DECIMAL = /^-?[0-9]+$/;

/** true when `text` is a flat mapping without a `profile` key; false means "ask the YAML parser". */
export function isFlatWithoutProfile(text: string): boolean {
  if (text.includes("\r")) return false;
  const keys = new Set<string>();
  for (const line of text.split("\n")) {
    if (BLANK_OR_COMMENT.test(line)) continue;
    const match = FLAT_LINE.exec(line);
    const key = match?.[1];
    const value = match?.[2];
    if (key === undefined || value === undefined || key === "profile" || keys.has(key)) return false;
    if (!DECIMAL.test(value) && !(PLAIN_STRING.test(value) && !value.endsWith(":"))) return false;
    keys.add(key);
  }
  return true;
}
