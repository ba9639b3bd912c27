// JSON as Go's encoding/json writes it: the one Go JSON escaper of the workspace (strict blobs,
// the dev server's store and replies, the masker's needles). U+2028/2029 are always \u-escaped;
// <, > and & too unless HTML escaping is off (the dev server's replies, SetEscapeHTML(false)).

const GO_EXTRA_ESCAPES: Record<string, string> = {
  "<": "\\u003c",
  ">": "\\u003e",
  "&": "\\u0026",
  "\u2028": "\\u2028",
  "\u2029": "\\u2029",
};

// These characters never occur in JSON's syntax, only inside strings: replacing them is safe.
const HTML_AND_LINE_SEPARATORS = /[<>&\u2028\u2029]/g;
const LINE_SEPARATORS = /[\u2028\u2029]/g;

const goEscape = (char: string): string => GO_EXTRA_ESCAPES[char] ?? char;

export interface GoJsonOptions {
  /** Go's Encoder.SetEscapeHTML; true by default, as json.Marshal. */
  escapeHTML?: boolean;
}

/** `value` as JSON.stringify writes it, with Go's extra escapes. Control characters use JSON's forms (as Go ≥ 1.22). */
export function goJson(value: unknown, options: GoJsonOptions = {}): string {
  const json = JSON.stringify(value);
  return json.replace(options.escapeHTML === false ? LINE_SEPARATORS : HTML_AND_LINE_SEPARATORS, goEscape);
}

/** A JSON string literal as json.Marshal writes it: unpaired surrogates (invalid UTF-8 in Go) become U+FFFD. */
export function goJsonString(value: string): string {
  return goJson(value.toWellFormed());
}
