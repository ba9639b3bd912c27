// Property tests: whatever a template file contains, loading it either succeeds with
// well-formed entries or fails with a TemplateError, never another exception.

import { describe, expect, test } from "bun:test";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import fc from "fast-check";
import { loadTemplate, summarizeTemplateDir, TemplateError } from "../src/index.ts";
import { parseLine } from "../src/line.ts";
import { contextFor, profileOf, useFixtures } from "./helpers.ts";

const { fixture } = useFixtures();

const fragments = [
  "A",
  "_b",
  "export ",
  "=",
  " ",
  "\t",
  "#",
  '"',
  "'",
  "${kms:",
  "kv/",
  "llm/",
  "include/",
  "inc",
  "x",
  "/",
  "..",
  "}",
  ":-",
  "{{profile:",
  "env",
  "loop",
  "}}",
  "\r",
  "\n",
  "\uFEFF",
  "\u0000",
  "é",
  "\\",
];

const textContent = fc.array(fc.constantFrom(...fragments), { maxLength: 60 }).map((parts) => parts.join(""));
const byteContent = fc.uint8Array({ maxLength: 300 });
const content = fc.oneof(
  textContent.map((text) => Buffer.from(text)),
  byteContent,
  fc.tuple(textContent, byteContent).map(([text, bytes]) => Buffer.concat([Buffer.from(text), bytes])),
);

describe("property: loading arbitrary template files", () => {
  const root = fixture({
    ".kpm/templates/inc.template": "INC=${kms:kv/inc#k}\n${kms:include/x}\n",
    ".kpm/templates/x.template": "X=1\n",
    "s/fuzz.template": "",
  });
  const file = join(root, "fuzz.template");
  const profile = profileOf({ env: "prod", loop: "{{profile:loop}}", bad: "}#:-" });

  test("loadTemplate returns valid entries or throws a TemplateError", () => {
    fc.assert(
      fc.property(content, (bytes) => {
        writeFileSync(file, bytes);
        try {
          const entries = loadTemplate(file, contextFor(root, profile));
          const keys = entries.map((entry) => entry.key);
          expect(new Set(keys).size).toBe(keys.length);
          for (const entry of entries) expect(entry.key).toMatch(/^[A-Za-z_][A-Za-z0-9_]*$/);
        } catch (error) {
          if (!(error instanceof TemplateError)) throw error;
          expect(["parse", "include", "profile", "io"]).toContain(error.code);
        }
      }),
      { numRuns: 400 },
    );
  });

  test("summarizeTemplateDir never throws and reports every file", () => {
    fc.assert(
      fc.property(content, (bytes) => {
        writeFileSync(file.replace("fuzz.template", "s/fuzz.template"), bytes);
        const summary = summarizeTemplateDir(join(root, "s"));
        expect(summary).toHaveProperty("entries");
        if ("entries" in summary) {
          const [entry] = summary.entries;
          expect(entry?.name).toBe("fuzz.template");
          if (entry && "count" in entry) expect(entry.count + entry.includes).toBe(entry.refs.length);
        }
      }),
      { numRuns: 300 },
    );
  });

  test("the line parser throws only TemplateError on arbitrary lines", () => {
    fc.assert(
      fc.property(fc.oneof(textContent, fc.string({ unit: "grapheme" })), (line) => {
        try {
          const parsed = parseLine(line, "f", 1);
          if (parsed.kind === "plain" || parsed.kind === "kms") expect(parsed.key).toMatch(/^[A-Za-z_]\w*$/);
        } catch (error) {
          if (!(error instanceof TemplateError)) throw error;
          expect(error.code).toBe("parse");
        }
      }),
      { numRuns: 1000 },
    );
  });
});
