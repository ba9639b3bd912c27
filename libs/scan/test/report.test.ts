import { describe, expect, test } from "bun:test";
import { parseScanReport, ScanReportError, toSarif } from "../src/index.ts";

const findings = [
  { file: "a/.env", line: 3, column: 5, rule: "kpm/jwt", preview: "eyJh…(99 chars)" },
  { file: "a/.env", line: 7, column: 1, rule: "kpm/jwt", preview: "eyJh…(99 chars)" },
  { file: "my dir/b.env", line: 1, column: 1, rule: "kpm/jwt", preview: "eyJh…(99 chars)" },
];
const expected = new Map([
  ["a/.env", new Set([3, 7])],
  ["my dir/b.env", new Set([1])],
]);

describe("parseScanReport", () => {
  test("reads kpm scan --json", () => {
    expect(parseScanReport(JSON.stringify({ findings }))).toEqual(expected);
  });

  test("reads SARIF 2.1.0 (URIs decoded; results without a region skipped)", () => {
    const sarif = toSarif(findings, "1") as { runs: Array<{ results: unknown[] }> };
    sarif.runs[0]?.results.push({
      locations: [{ physicalLocation: { artifactLocation: { uri: "c.env" } } }],
    });
    sarif.runs[0]?.results.push({});
    expect(parseScanReport(JSON.stringify(sarif))).toEqual(expected);
  });

  test("anything else is a ScanReportError that says what was expected", () => {
    expect(() => parseScanReport("not json")).toThrow(ScanReportError);
    expect(() => parseScanReport("not json")).toThrow(
      "not JSON (expected kpm scan --json or --sarif output)",
    );
    expect(() => parseScanReport('{"version":"2.0.0"}')).toThrow("neither kpm scan --json nor SARIF 2.1.0");
  });
});
