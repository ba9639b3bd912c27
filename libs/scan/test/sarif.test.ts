// The SARIF output validated against the published 2.1.0 schema (sarif-2.1.0-rtm.5.json, vendored
// in test/fixtures from @microsoft/jest-sarif, MIT).
import { describe, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { Validator } from "@cfworker/json-schema";
import { buildCorpus, secretValues } from "../../../test/fixtures/secret-corpus.ts";
import { detectInText, type Finding, toSarif } from "../src/index.ts";

const schema = JSON.parse(
  readFileSync(join(import.meta.dir, "../../../test/fixtures/sarif-2.1.0-rtm.5.json"), "utf8"),
);

function validate(document: unknown): string[] {
  const result = new Validator(schema, "4", false).validate(document);
  return result.errors.map((error) => `${error.instanceLocation}: ${error.error}`);
}

describe("toSarif", () => {
  test("the corpus's findings are a valid SARIF 2.1.0 log with no secret in it", async () => {
    const corpus = buildCorpus();
    const findings: Finding[] = [];
    for (const [file, content] of Object.entries(corpus.files))
      findings.push(...(await detectInText(file, content)));
    const sarif = toSarif(findings, "0.3.0");
    expect(validate(sarif)).toEqual([]);
    const text = JSON.stringify(sarif);
    for (const value of secretValues(corpus)) expect(text.includes(value)).toBe(false);
    expect(text).toContain('"uri":"config/app.yaml"');
  });

  test("an empty scan is a valid log with no results", () => {
    const sarif = toSarif([], "0.3.0") as { runs: Array<{ results: unknown[] }> };
    expect(validate(sarif)).toEqual([]);
    expect(sarif.runs[0]?.results).toEqual([]);
  });

  test("the validator rejects a log without a version (the check is real)", () => {
    const broken = toSarif([], "0.3.0") as Record<string, unknown>;
    delete broken.version;
    expect(validate(broken).length).toBeGreaterThan(0);
  });

  test("paths with spaces are percent-encoded URIs", () => {
    const sarif = toSarif([{ file: "my dir/a.env", line: 1, column: 1, rule: "kpm/jwt", preview: "…" }], "1");
    expect(JSON.stringify(sarif)).toContain('"uri":"my%20dir/a.env"');
  });
});
