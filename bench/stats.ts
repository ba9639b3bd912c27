// Small statistics the benches share.

/** The median (the mean of the middle two for an even count); NaN for no samples. */
export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  if (sorted.length === 0) return Number.NaN;
  return sorted.length % 2 === 1
    ? (sorted[middle] as number)
    : ((sorted[middle - 1] as number) + (sorted[middle] as number)) / 2;
}

/** Two decimals, for a table cell. */
export const round = (value: number) => Math.round(value * 100) / 100;
