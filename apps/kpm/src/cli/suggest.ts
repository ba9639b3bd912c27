// "Did you mean …?" for mistyped command words and flags: the one candidate that is clearly
// closest, or none. A wrong guess is worse than no guess, so ties and weak matches stay silent.

/**
 * Optimal-string-alignment distance (Damerau–Levenshtein where a transposition is one edit and no
 * substring is edited twice): `lsit` → `list` is 1, `lst` → `list` is 1.
 */
export function editDistance(a: string, b: string): number {
  const rows = a.length + 1;
  const cols = b.length + 1;
  const d: number[] = new Array(rows * cols).fill(0);
  for (let i = 0; i < rows; i++) d[i * cols] = i;
  for (let j = 0; j < cols; j++) d[j] = j;
  for (let i = 1; i < rows; i++) {
    for (let j = 1; j < cols; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let best = Math.min(
        (d[(i - 1) * cols + j] as number) + 1,
        (d[i * cols + j - 1] as number) + 1,
        (d[(i - 1) * cols + j - 1] as number) + cost,
      );
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) {
        best = Math.min(best, (d[(i - 2) * cols + j - 2] as number) + 1);
      }
      d[i * cols + j] = best;
    }
  }
  return d[rows * cols - 1] as number;
}

/**
 * The candidate `typed` most likely meant: the closest one within edit distance 2 (1 for words of
 * up to 3 characters, where 2 edits reach almost anything: `rm` is 2 from `run`), a tie going to
 * the one `typed` is the start of (`stat` → `status`, not `stop`); else the one candidate that
 * `typed` is the start of (`--inc` → `--include-deleted`). Case is ignored. `synonyms` maps habits
 * from other tools (`ls`, `rm`) to a candidate. Undefined when no single candidate stands out.
 */
export function suggest(
  typed: string,
  candidates: readonly string[],
  synonyms: Readonly<Record<string, string>> = {},
): string | undefined {
  const word = typed.toLowerCase();
  if (word.length === 0) return undefined;
  const synonym = Object.hasOwn(synonyms, word) ? synonyms[word] : undefined;
  if (synonym !== undefined && candidates.includes(synonym)) return synonym;
  const unique = [...new Set(candidates)];
  const startsWithTyped = (candidate: string) => candidate.toLowerCase().startsWith(word);
  const limit = word.length <= 3 ? 1 : 2;
  let best: string[] = [];
  let bestDistance = limit;
  for (const candidate of unique) {
    const distance = editDistance(word, candidate.toLowerCase());
    if (distance < bestDistance) {
      best = [candidate];
      bestDistance = distance;
    } else if (distance === bestDistance) {
      best.push(candidate);
    }
  }
  const pick = (list: string[]) => (list.length === 1 ? list[0] : undefined);
  if (best.length > 0) return pick(best) ?? pick(best.filter(startsWithTyped));
  return pick(unique.filter(startsWithTyped));
}
