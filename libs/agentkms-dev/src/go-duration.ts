// Go's time.ParseDuration and Duration.String, for policy rate-limit windows and bounds.max_ttl
// (wire §3.2), in milliseconds.

/** Nanoseconds per unit, as in Go's unitMap. */
const UNIT_NANOS: Record<string, bigint> = {
  ns: 1n,
  us: 1_000n,
  µs: 1_000n,
  μs: 1_000n,
  ms: 1_000_000n,
  s: 1_000_000_000n,
  m: 60_000_000_000n,
  h: 3_600_000_000_000n,
};
const INT64_LIMIT = 1n << 63n;

/** Go's leadingFraction: the digits that fit in int64, and 10^(their count) as a float. */
function leadingFraction(fraction: string): { digits: bigint; scale: number } {
  let digits = 0n;
  let scale = 1;
  for (const char of fraction) {
    if (digits > INT64_LIMIT / 10n) continue;
    const next = digits * 10n + BigInt(char);
    if (next > INT64_LIMIT) continue;
    digits = next;
    scale *= 10;
  }
  return { digits, scale };
}

/**
 * Go time.ParseDuration, in milliseconds; null when malformed or beyond int64 nanoseconds (~292
 * years). Follows Go's algorithm: integer nanoseconds, a sign that may precede "0", a fraction
 * scaled as Go scales it.
 */
export function parseGoDuration(text: string): number | null {
  let rest = text;
  let negative = false;
  if (rest.startsWith("-") || rest.startsWith("+")) {
    negative = rest.startsWith("-");
    rest = rest.slice(1);
  }
  if (rest === "0") return 0;
  if (rest === "") return null;
  let total = 0n;
  const part = /^(\d*)(?:\.(\d*))?(ns|us|µs|μs|ms|s|m|h)/;
  while (rest !== "") {
    const match = part.exec(rest);
    if (!match) return null;
    const [whole, integer = "", fraction, unit = ""] = match;
    if (integer === "" && (fraction === undefined || fraction === "")) return null;
    const nanos = UNIT_NANOS[unit] as bigint;
    let value = BigInt(integer || "0") * nanos;
    if (fraction) {
      const { digits, scale } = leadingFraction(fraction);
      // Go: v += int64(float64(f) * (float64(unit) / scale)).
      value += BigInt(Math.trunc(Number(digits) * (Number(nanos) / scale)));
    }
    total += value;
    if (total > INT64_LIMIT) return null;
    rest = rest.slice(whole.length);
  }
  if (total === INT64_LIMIT && !negative) return null;
  const ms = Number(total) / 1e6;
  return negative ? -ms : ms;
}

/** Go time.Duration.String() for whole milliseconds and up, e.g. 3600000 → "1h0m0s". */
export function formatGoDuration(ms: number): string {
  if (ms === 0) return "0s";
  if (ms < 1000) return `${ms}ms`;
  const hours = Math.floor(ms / 3_600_000);
  const minutes = Math.floor((ms % 3_600_000) / 60_000);
  const seconds = (ms % 60_000) / 1000;
  if (hours > 0) return `${hours}h${minutes}m${seconds}s`;
  if (minutes > 0) return `${minutes}m${seconds}s`;
  return `${seconds}s`;
}
