// Escaping text for roff (man(7)): the one place that knows which characters roff treats specially.

const NAMED: Record<string, string> = {
  "\u2014": "\\(em",
  "\u2013": "\\(en",
  "\u2026": "...",
  "\u2192": "\\(->",
  "\u2018": "\\(oq",
  "\u2019": "\\(cq",
  "\u201c": "\\(lq",
  "\u201d": "\\(rq",
};

/**
 * Plain text as roff input: `\` becomes `\e`, every `-` becomes `\-` (so flags and commands copy
 * as ASCII hyphen-minus), non-ASCII characters become `\[uXXXX]`, and a line that would start with
 * `.` or `'` (a request) is protected with `\&`.
 */
export function roffEscape(text: string): string {
  let out = "";
  for (const char of text) {
    const code = char.codePointAt(0) ?? 0;
    if (char === "\\") out += "\\e";
    else if (char === "-") out += "\\-";
    else if (NAMED[char] !== undefined) out += NAMED[char];
    else if (code > 0x7e) out += `\\[u${code.toString(16).toUpperCase().padStart(4, "0")}]`;
    else out += char;
  }
  return out
    .split("\n")
    .map((line) => (line.startsWith(".") || line.startsWith("'") ? `\\&${line}` : line))
    .join("\n");
}

/** One line of text with `code` spans: escaped, the spans in bold. */
export function roffInline(text: string): string {
  // roffEscape protects a part that starts with "." or "'"; mid-line, that `\&` is invisible.
  return text
    .split("`")
    .map((part, index) => (index % 2 === 1 ? `\\fB${roffEscape(part)}\\fR` : roffEscape(part)))
    .join("");
}

/** An argument of a macro line (`.SH "…"`): escaped and quoted. */
export function roffArgument(text: string): string {
  return `"${roffEscape(text).replaceAll('"', "\\(dq")}"`;
}
