// Variable-name patterns (§9.1.3): exact names, or globs where each "*" matches any run of
// characters (including none) and every other character matches itself.

export const VARIABLE_PATTERN = /^[A-Za-z_*][A-Za-z0-9_*]*$/;

const VARIABLE_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

export function isValidPattern(pattern: string): boolean {
  return VARIABLE_PATTERN.test(pattern);
}

/** An exact variable name, as a template key must be (§5.1): what a pin may name. */
export function isVariableName(name: string): boolean {
  return VARIABLE_NAME.test(name);
}

export function matchesPattern(pattern: string, name: string): boolean {
  if (!pattern.includes("*")) return pattern === name;
  const parts = pattern.split("*");
  const first = parts[0] ?? "";
  const last = parts[parts.length - 1] ?? "";
  if (name.length < first.length + last.length) return false;
  if (!name.startsWith(first) || !name.endsWith(last)) return false;
  // Middle parts, leftmost-first: taking the earliest occurrence never loses a match.
  let position = first.length;
  const end = name.length - last.length;
  for (let i = 1; i < parts.length - 1; i++) {
    const part = parts[i] ?? "";
    const found = name.indexOf(part, position);
    if (found === -1 || found + part.length > end) return false;
    position = found + part.length;
  }
  return true;
}
