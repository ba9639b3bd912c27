// The expiry of a registry secret (§11.1 `--expires`): RFC 3339, or a bare YYYY-MM-DD taken as
// midnight UTC. A day or time that does not exist is refused, not rolled over.

const DATE_ONLY = /^(\d{4})-(\d{2})-(\d{2})$/;
const RFC3339 = /^(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(\.\d+)?(?:[Zz]|[+-](\d{2}):(\d{2}))$/;

/** The RFC 3339 timestamp to store; undefined for no expiry (absent or ""); null when invalid. */
export function normalizeExpires(value: string | undefined): string | undefined | null {
  if (value === undefined || value === "") return undefined;
  const date = DATE_ONLY.exec(value);
  if (date && isCalendarDate(date[1], date[2], date[3])) return `${value}T00:00:00Z`;
  const stamp = RFC3339.exec(value);
  if (
    stamp &&
    isCalendarDate(stamp[1], stamp[2], stamp[3]) &&
    isClockTime(stamp.slice(4, 7), stamp.slice(8, 10))
  ) {
    return value;
  }
  return null;
}

/** Date.parse rolls 2026-02-30 over to 2 March: a day that does not exist is refused, not moved. */
function isCalendarDate(year = "", month = "", day = ""): boolean {
  const y = Number(year);
  const m = Number(month);
  const d = Number(day);
  const parsed = new Date(0);
  // setUTCFullYear, unlike Date.UTC, does not map years 0–99 to 1900–1999.
  parsed.setUTCFullYear(y, m - 1, d);
  return parsed.getUTCFullYear() === y && parsed.getUTCMonth() === m - 1 && parsed.getUTCDate() === d;
}

/** hh:mm:ss and an optional ±hh:mm offset within their ranges (no leap second, as Go). */
function isClockTime(
  [hour, minute, second]: Array<string | undefined>,
  offset: Array<string | undefined>,
): boolean {
  const inRange = (text: string | undefined, max: number) => text === undefined || Number(text) <= max;
  return (
    inRange(hour, 23) &&
    inRange(minute, 59) &&
    inRange(second, 59) &&
    inRange(offset[0], 23) &&
    inRange(offset[1], 59)
  );
}
