// Go's path.Match, for policy `caller_id_pattern` globs (wire §3.3): `*` and `?` never match `/`,
// `[a-c]`, `[^x]` and `\` escapes, the whole name must match, and a malformed pattern matches nothing.
// globProblem names what ErrBadPattern would, plus AgentKMS's own check for reversed ranges (`[z-a]`),
// which Go's path.Match accepts and never matches.

interface GlobToken {
  kind: "star" | "any" | "literal" | "class";
  literal?: string;
  negated?: boolean;
  ranges?: Array<[number, number]>;
}

/** Tokenises a Go path.Match pattern; throws a message on a malformed one (ErrBadPattern, reversed range). */
function tokenizeGlob(pattern: string): GlobToken[] {
  const chars = Array.from(pattern);
  const tokens: GlobToken[] = [];
  let i = 0;
  const escaped = (): string => {
    let c = chars[i];
    if (c === "\\") {
      i++;
      c = chars[i];
      if (c === undefined) throw new Error("trailing backslash");
    } else if (c === undefined || c === "-" || c === "]") throw new Error("malformed character class");
    i++;
    return c;
  };
  while (i < chars.length) {
    const c = chars[i] as string;
    if (c === "*") {
      tokens.push({ kind: "star" });
      i++;
    } else if (c === "?") {
      tokens.push({ kind: "any" });
      i++;
    } else if (c === "\\") {
      i++;
      const next = chars[i];
      if (next === undefined) throw new Error("trailing backslash");
      tokens.push({ kind: "literal", literal: next });
      i++;
    } else if (c === "[") {
      i++;
      const negated = chars[i] === "^";
      if (negated) i++;
      const ranges: Array<[number, number]> = [];
      while (true) {
        if (chars[i] === "]" && ranges.length > 0) {
          i++;
          break;
        }
        if (i >= chars.length) throw new Error("unterminated character class");
        const lo = escaped();
        let hi = lo;
        if (chars[i] === "-") {
          i++;
          hi = escaped();
        }
        const loCode = lo.codePointAt(0) ?? 0;
        const hiCode = hi.codePointAt(0) ?? 0;
        if (loCode > hiCode) throw new Error(`reversed range ${lo}-${hi}`);
        ranges.push([loCode, hiCode]);
      }
      tokens.push({ kind: "class", negated, ranges });
    } else {
      tokens.push({ kind: "literal", literal: c });
      i++;
    }
  }
  return tokens;
}

function matchTokens(tokens: GlobToken[], t: number, name: string[], n: number): boolean {
  while (t < tokens.length) {
    const token = tokens[t] as GlobToken;
    if (token.kind === "star") {
      // `*` never crosses a `/` (path.Match treats it as the separator).
      for (let k = n; k <= name.length; k++) {
        if (matchTokens(tokens, t + 1, name, k)) return true;
        if (name[k] === "/" || k === name.length) return false;
      }
      return false;
    }
    const c = name[n];
    if (c === undefined) return false;
    if (token.kind === "any") {
      if (c === "/") return false;
    } else if (token.kind === "literal") {
      if (c !== token.literal) return false;
    } else {
      const code = c.codePointAt(0) ?? 0;
      const inClass = (token.ranges ?? []).some(([lo, hi]) => code >= lo && code <= hi);
      if (inClass === token.negated) return false;
    }
    t++;
    n++;
  }
  return n === name.length;
}

/** Why a glob is invalid, or null. */
export function globProblem(pattern: string): string | null {
  try {
    tokenizeGlob(pattern);
    return null;
  } catch (error) {
    return (error as Error).message;
  }
}

/** Go path.Match; a malformed pattern matches nothing. */
export function matchGlob(pattern: string, name: string): boolean {
  let tokens: GlobToken[];
  try {
    tokens = tokenizeGlob(pattern);
  } catch {
    return false;
  }
  return matchTokens(tokens, 0, Array.from(name), 0);
}
