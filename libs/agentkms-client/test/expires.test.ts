// `kpm add --expires` (§11.1): RFC 3339 or a calendar date, nothing that rolls over.
import { describe, expect, test } from "bun:test";
import { normalizeExpires } from "../src/index.ts";

describe("normalizeExpires", () => {
  test("no value means no expiry", () => {
    expect(normalizeExpires(undefined)).toBeUndefined();
    expect(normalizeExpires("")).toBeUndefined();
  });

  test("a calendar date is midnight UTC", () => {
    expect(normalizeExpires("2026-12-31")).toBe("2026-12-31T00:00:00Z");
    expect(normalizeExpires("2028-02-29")).toBe("2028-02-29T00:00:00Z");
    expect(normalizeExpires("0099-01-01")).toBe("0099-01-01T00:00:00Z");
  });

  test("an RFC 3339 timestamp is kept as written", () => {
    for (const stamp of ["2026-12-31T23:59:59Z", "2026-01-01t00:00:00.5z", "2026-06-01T12:00:00+05:30"])
      expect(normalizeExpires(stamp)).toBe(stamp);
  });

  test("a day, time or offset that does not exist is refused, not rolled over", () => {
    for (const bad of [
      "2026-02-30",
      "2027-02-29",
      "2026-13-01",
      "2026-12-31T24:00:00Z",
      "2026-12-31T23:60:00Z",
      "2026-12-31T23:59:60Z",
      "2026-12-31T00:00:00+24:00",
      "2026-12-31T00:00:00+01:60",
      "2026-12-31T00:00:00",
      "tomorrow",
      "2026-1-1",
    ])
      expect(normalizeExpires(bad)).toBeNull();
  });
});
