// The simple commands of one line of shell, as words, for checking documented kpm command lines:
// quotes removed, `$(…)`, `<(…)` and `(…)` parsed as commands of their own (so the kpm inside
// `eval "$(kpm env …)"` is found), redirections and comments dropped, lists split at | || && ; &.
// Enough shell for documentation, not a shell: no here-documents, no backquotes, no aliases.

/** Stands in for a substitution inside a word: it is a value, never a flag. */
export const SUBSTITUTION = "<substitution>";

interface Cursor {
  text: string;
  pos: number;
  /** Every simple command found, nested ones included, in the order they end. */
  found: string[][];
}

/** Every simple command on `line` (nested substitutions included). */
export function simpleCommands(line: string): string[][] {
  const cursor: Cursor = { text: line, pos: 0, found: [] };
  parseList(cursor, false);
  return cursor.found;
}

/** Reads commands up to the end, or up to the `)` that closes a substitution or subshell. */
function parseList(cursor: Cursor, nested: boolean): void {
  const { text } = cursor;
  let words: string[] = [];
  let word: string | null = null;
  let dropNextWord = false;
  const endWord = () => {
    if (word !== null) {
      if (dropNextWord) dropNextWord = false;
      else words.push(word);
    }
    word = null;
  };
  const endCommand = () => {
    endWord();
    if (words.length > 0) cursor.found.push(words);
    words = [];
  };
  while (cursor.pos < text.length) {
    const char = text[cursor.pos] as string;
    const next = text[cursor.pos + 1];
    if (char === ")" && nested) {
      cursor.pos++;
      endCommand();
      return;
    }
    if (char === " " || char === "\t" || char === "\n") {
      endWord();
      cursor.pos++;
    } else if (char === "#" && word === null) {
      cursor.pos = text.length;
    } else if (char === "'") {
      const close = text.indexOf("'", cursor.pos + 1);
      const end = close === -1 ? text.length : close;
      word = (word ?? "") + text.slice(cursor.pos + 1, end);
      cursor.pos = end + 1;
    } else if (char === '"') {
      cursor.pos++;
      word = (word ?? "") + doubleQuoted(cursor);
    } else if (char === "\\") {
      word = (word ?? "") + (next ?? "");
      cursor.pos += 2;
    } else if (char === "$" && next === "(") {
      cursor.pos += 2;
      parseList(cursor, true);
      word = (word ?? "") + SUBSTITUTION;
    } else if (char === "$" && next === "{") {
      const close = text.indexOf("}", cursor.pos);
      const end = close === -1 ? text.length : close + 1;
      word = (word ?? "") + text.slice(cursor.pos, end);
      cursor.pos = end;
    } else if ((char === "<" || char === ">") && next === "(") {
      cursor.pos += 2;
      parseList(cursor, true);
      word = (word ?? "") + SUBSTITUTION;
    } else if (char === "(" && word === null) {
      cursor.pos++;
      endCommand();
      parseList(cursor, true);
    } else if (char === "<" || char === ">") {
      // `2>` names a descriptor: that digit is not a word. `>&2` needs no target word.
      if (word !== null && /^\d+$/.test(word)) word = null;
      endWord();
      cursor.pos++;
      while (text[cursor.pos] === ">" || text[cursor.pos] === "<") cursor.pos++;
      if (text[cursor.pos] === "&") {
        cursor.pos++;
        while (/[\d-]/.test(text[cursor.pos] ?? "")) cursor.pos++;
      } else dropNextWord = true;
    } else if (char === "|" || char === ";" || char === "&") {
      endCommand();
      cursor.pos++;
      if (next === char) cursor.pos++;
    } else {
      word = (word ?? "") + char;
      cursor.pos++;
    }
  }
  endCommand();
}

/** The rest of a `"…"` word (cursor just after the opening quote); `$(…)` inside is parsed. */
function doubleQuoted(cursor: Cursor): string {
  const { text } = cursor;
  let out = "";
  while (cursor.pos < text.length) {
    const char = text[cursor.pos] as string;
    if (char === '"') {
      cursor.pos++;
      return out;
    }
    if (char === "\\" && /["\\$`]/.test(text[cursor.pos + 1] ?? "")) {
      out += text[cursor.pos + 1];
      cursor.pos += 2;
    } else if (char === "$" && text[cursor.pos + 1] === "(") {
      cursor.pos += 2;
      parseList(cursor, true);
      out += SUBSTITUTION;
    } else {
      out += char;
      cursor.pos++;
    }
  }
  return out;
}

const PREFIXES = new Set([
  "if",
  "then",
  "else",
  "elif",
  "while",
  "until",
  "do",
  "!",
  "time",
  "exec",
  "command",
]);

/** The words after `kpm` (or `dist/kpm`, `~/.local/bin/kpm`) when the command runs kpm, else null. */
export function kpmArguments(words: string[]): string[] | null {
  let index = 0;
  // Leading assignments (`KPM_DEBUG=1 kpm …`) and keywords (`if kpm doctor; then`) are not the program.
  while (index < words.length) {
    const word = words[index] as string;
    if (PREFIXES.has(word) || /^[A-Za-z_][A-Za-z0-9_]*=/.test(word)) index++;
    else break;
  }
  const program = words[index];
  if (program === undefined || (program !== "kpm" && !program.endsWith("/kpm"))) return null;
  return words.slice(index + 1);
}
