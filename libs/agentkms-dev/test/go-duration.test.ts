// Go's time.ParseDuration and Duration.String as policy windows use them, checked against rows of
// Go's own time_test.go (parseDurationTests, parseDurationErrorTests) in milliseconds.
import { describe, expect, test } from "bun:test";
import { formatGoDuration, parseGoDuration } from "../src/go-duration.ts";

describe("parseGoDuration", () => {
  test("parses Go's valid examples", () => {
    const rows: Array<[string, number]> = [
      ["0", 0],
      ["5s", 5000],
      ["1478s", 1_478_000],
      ["-5s", -5000],
      ["+5s", 5000],
      ["5.0s", 5000],
      ["5.6s", 5600],
      ["5.s", 5000],
      [".5s", 500],
      ["1.004s", 1004],
      ["1.0040s", 1004],
      ["100.00100s", 100_001],
      ["11us", 0.011],
      ["12µs", 0.012], // U+00B5
      ["12μs", 0.012], // U+03BC
      ["13ms", 13],
      ["15m", 900_000],
      ["16h", 57_600_000],
      ["3h30m", 12_600_000],
      ["10.5s4m", 250_500],
      ["-2m3.4s", -123_400],
      ["39h9m14.425s", 140_954_425],
      ["0.3333333333333333333h", 1_200_000],
      // The brief's cases.
      ["1h30m", 5_400_000],
      ["1.5h", 5_400_000],
      ["-1m", -60_000],
      ["300ms", 300],
      ["2h45m30.5s", 9_930_500],
      ["1.1s", 1100],
      ["1h1h", 7_200_000],
    ];
    for (const [text, ms] of rows) expect([text, parseGoDuration(text)]).toEqual([text, ms]);
  });

  test("nanoseconds are kept as fractions of a millisecond", () => {
    expect(parseGoDuration("10ns")).toBeCloseTo(0.00001, 12);
    expect(parseGoDuration("1h2m3s4ms5us6ns")).toBeCloseTo(3_723_004.005006, 6);
  });

  test("refuses Go's invalid examples: no unit, no digits, unknown units, spaces, wrong case", () => {
    for (const text of [
      "",
      "3",
      "10",
      "-",
      "s",
      ".",
      "-.",
      ".s",
      "+.s",
      "1d",
      "\uFFFD",
      "1h 30m",
      " 1h",
      "1H",
      "1hh",
    ]) {
      expect([text, parseGoDuration(text)]).toEqual([text, null]);
    }
  });

  test("'-0' and '+0' are zero, as in Go", () => {
    expect([parseGoDuration("-0"), parseGoDuration("+0")]).toEqual([0, 0]);
  });

  test("fractions are exact, as Go's integer nanoseconds are (1.001s is 1001 ms)", () => {
    expect(parseGoDuration("1.001s")).toBe(1001);
    // Digits past int64 are dropped, as Go's leadingFraction drops them.
    expect(parseGoDuration("1.0000000000000000000000000001s")).toBe(1000);
    expect(parseGoDuration("0.99999999999999999999999999h")).toBe(3_600_000);
  });

  test("a duration past Go's int64 nanoseconds (~292 years) is refused, as in Go", () => {
    expect(parseGoDuration("3000000h")).toBeNull();
    expect(parseGoDuration("2562047h")).toBe(2562047 * 3_600_000);
    expect(parseGoDuration("9223372036854775807ns")).toBeCloseTo(9_223_372_036_854.775, 0);
    expect(parseGoDuration("9223372036854775808ns")).toBeNull();
    expect(parseGoDuration("-9223372036854775808ns")).toBeCloseTo(-9_223_372_036_854.775, 0);
  });
});

describe("formatGoDuration", () => {
  test("prints whole milliseconds and up as Duration.String does", () => {
    const rows: Array<[number, string]> = [
      [0, "0s"],
      [250, "250ms"],
      [1000, "1s"],
      [1500, "1.5s"],
      [61_001, "1m1.001s"],
      [90_000, "1m30s"],
      [3_600_000, "1h0m0s"],
      [5_400_000, "1h30m0s"],
      [86_400_000, "24h0m0s"],
    ];
    for (const [ms, text] of rows) expect([ms, formatGoDuration(ms)]).toEqual([ms, text]);
  });

  test("round-trips what it prints", () => {
    for (const ms of [1, 999, 1000, 1001, 59_999, 60_000, 3_599_999, 3_600_000, 9_930_500]) {
      expect(parseGoDuration(formatGoDuration(ms))).toBeCloseTo(ms, 9);
    }
  });
});
