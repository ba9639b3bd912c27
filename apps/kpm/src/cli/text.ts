// Character-based (not UTF-16 unit) padding and truncation for tables (§11.2, §8.4).

export function charLength(text: string): number {
  let count = 0;
  for (const _ of text) count++;
  return count;
}

export function padChars(text: string, width: number): string {
  const length = charLength(text);
  return length >= width ? text : text + " ".repeat(width - length);
}

/** Longer than `max` characters → the first `max - 3` characters + "...". */
export function truncateChars(text: string, max: number): string {
  const chars = [...text];
  return chars.length > max ? `${chars.slice(0, max - 3).join("")}...` : text;
}

export function byCodePoint(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
