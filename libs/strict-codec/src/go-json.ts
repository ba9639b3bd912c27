// JSON string encoding identical to Go's json.Marshal, so strict blobs are byte-compatible
// with v0.2.1: HTML-significant characters and the JS line separators are \u-escaped, and
// unpaired surrogates (invalid UTF-8 in Go) become U+FFFD.

const GO_EXTRA_ESCAPES: Record<string, string> = {
  "<": "\\u003c",
  ">": "\\u003e",
  "&": "\\u0026",
  "\u2028": "\\u2028",
  "\u2029": "\\u2029",
};

export function goJsonString(value: string): string {
  return JSON.stringify(value.toWellFormed()).replace(/[<>&\u2028\u2029]/g, (c) => GO_EXTRA_ESCAPES[c] ?? c);
}
