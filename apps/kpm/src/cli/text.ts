// Character-based (not UTF-16 unit) padding and truncation for tables (§11.2, §8.4).

const SURROGATE_PAIR = /[\uD800-\uDBFF][\uDC00-\uDFFF]/g;

/** Code points: UTF-16 length minus one per surrogate pair (no per-character iteration; `list` pads thousands of cells). */
export function charLength(text: string): number {
  const pairs = text.match(SURROGATE_PAIR);
  return pairs ? text.length - pairs.length : text.length;
}

const HIGH_SURROGATE = /[\uD800-\uDBFF]/;

export function padChars(text: string, width: number): string {
  // Without a surrogate pair units are characters (the usual case: one test, no allocation).
  if (!HIGH_SURROGATE.test(text)) return text.padEnd(width);
  // padEnd counts UTF-16 units: widen the target by the units that do not start a character.
  return text.padEnd(width + text.length - charLength(text));
}

/** Longer than `max` characters → the first `max - 3` characters + "...". */
export function truncateChars(text: string, max: number): string {
  // At most `max` UTF-16 units can never be more than `max` characters.
  if (text.length <= max) return text;
  const chars = [...text];
  return chars.length > max ? `${chars.slice(0, max - 3).join("")}...` : text;
}

export function byCodePoint(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** `1 secret`, `2 secrets`, `0 secrets`: the count and the noun in the number it needs. */
export function plural(count: number, noun: string, nounPlural = `${noun}s`): string {
  return `${count} ${count === 1 ? noun : nounPlural}`;
}
