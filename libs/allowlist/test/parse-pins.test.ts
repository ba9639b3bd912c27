// Pinned entries in secure-allowlist.yaml (docs/allowlist.md): every accepted form, and every
// refusal with its line number.
// biome-ignore-all lint/suspicious/noTemplateCurlyInString: pins may spell ${kms:…} literally
import { describe, expect, test } from "bun:test";
import { parseReference } from "@kpm/template/core";
import fc from "fast-check";
import { AllowlistError, parseAllowlist, parsePin, type ReferenceLike } from "../src/index.ts";

const PATH = "/p/.kpm/secure-allowlist.yaml";

function pins(entries: Array<[string, ReferenceLike]>): Map<string, ReferenceLike> {
  return new Map(entries);
}

function expectProblem(text: string, line: number, problem: string): void {
  let error: unknown;
  try {
    parseAllowlist(text, PATH);
  } catch (caught) {
    error = caught;
  }
  expect(error).toBeInstanceOf(AllowlistError);
  expect((error as AllowlistError).message).toBe(
    `kpm: parse secure-allowlist.yaml: ${PATH}:${line}: ${problem}`,
  );
}

const anthropic = { type: "llm", path: "anthropic" };

describe("pins are accepted", () => {
  test("a tool mapped to one mapping of NAME: reference", () => {
    const list = parseAllowlist("claude: {ANTHROPIC_API_KEY: llm/anthropic}\n", PATH);
    expect(list.get("claude")).toEqual({ patterns: [], pins: pins([["ANTHROPIC_API_KEY", anthropic]]) });
  });

  test("the same mapping in block form, with kv #key and registry references", () => {
    const text = "ci:\n  DB_PASSWORD: kv/db/prod#password\n  CF_TOKEN: cloudflare/dns-token\n";
    expect(parseAllowlist(text, PATH).get("ci")).toEqual({
      patterns: [],
      pins: pins([
        ["DB_PASSWORD", { type: "kv", path: "db/prod", key: "password" }],
        ["CF_TOKEN", { type: "cloudflare", path: "dns-token" }],
      ]),
    });
  });

  test("a list mixing names, globs, one-key and multi-key mappings", () => {
    const text = [
      "cursor:",
      "  - GH_TOKEN",
      '  - "AWS_*"',
      "  - ANTHROPIC_API_KEY: llm/anthropic",
      "  - {OPENAI_API_KEY: llm/openai, DB_USER: kv/db/prod#user}",
      "",
    ].join("\n");
    expect(parseAllowlist(text, PATH).get("cursor")).toEqual({
      patterns: ["GH_TOKEN", "AWS_*"],
      pins: pins([
        ["ANTHROPIC_API_KEY", anthropic],
        ["OPENAI_API_KEY", { type: "llm", path: "openai" }],
        ["DB_USER", { type: "kv", path: "db/prod", key: "user" }],
      ]),
    });
  });

  test("a pin written as a full ${kms:…} reference (block form, quoted)", () => {
    expect(
      parseAllowlist('claude:\n  ANTHROPIC_API_KEY: "${kms:llm/anthropic}"\n', PATH).get("claude"),
    ).toEqual({
      patterns: [],
      pins: pins([["ANTHROPIC_API_KEY", anthropic]]),
    });
  });

  test("an empty mapping is an empty list", () => {
    expect(parseAllowlist("claude: {}\n", PATH).get("claude")).toEqual({ patterns: [], pins: new Map() });
  });

  test("the same name listed plainly and pinned: the pin is kept", () => {
    expect(
      parseAllowlist("claude: [ANTHROPIC_API_KEY, {ANTHROPIC_API_KEY: llm/anthropic}]\n", PATH).get("claude"),
    ).toEqual({ patterns: ["ANTHROPIC_API_KEY"], pins: pins([["ANTHROPIC_API_KEY", anthropic]]) });
  });
});

describe("pins are refused with the line number", () => {
  test("a glob with a pin", () => {
    expectProblem(
      'claude:\n  - A\n  - "AWS_*": kv/aws#key\n',
      3,
      'tool "claude": pinned name "AWS_*" must be an exact variable name, not a glob',
    );
    expectProblem(
      'claude: {"*": llm/anthropic}\n',
      1,
      'tool "claude": pinned name "*" must be an exact variable name, not a glob',
    );
  });

  test("an invalid pinned name", () => {
    expectProblem("claude:\n  1BAD: llm/x\n", 2, 'tool "claude": invalid variable name "1BAD"');
    expectProblem('claude:\n  "A-B": llm/x\n', 2, 'tool "claude": invalid variable name "A-B"');
    expectProblem("claude:\n  [A]: llm/x\n", 2, 'tool "claude": a pinned name must be a variable name');
  });

  test("a value that is not a reference string", () => {
    expectProblem(
      "claude:\n  A: [llm/x]\n",
      2,
      'tool "claude": "A" must be pinned to a reference such as llm/anthropic',
    );
    expectProblem(
      "claude:\n  A:\n",
      2,
      'tool "claude": "A" must be pinned to a reference such as llm/anthropic',
    );
    expectProblem(
      "claude:\n  A: 42\n",
      2,
      'tool "claude": "A" must be pinned to a reference such as llm/anthropic',
    );
  });

  test("a reference the template grammar refuses", () => {
    const invalid = (text: string) =>
      `tool "claude": "A" is pinned to an invalid reference "${text}" (expected <type>/<path>[#key])`;
    expectProblem("claude:\n  A: anthropic\n", 2, invalid("anthropic"));
    expectProblem("claude:\n  A: LLM/anthropic\n", 2, invalid("LLM/anthropic"));
    expectProblem("claude:\n  A: llm/\n", 2, invalid("llm/"));
    expectProblem('claude:\n  A: ""\n', 2, invalid(""));
    expectProblem(
      "claude:\n  A: kv/a/../b\n",
      2,
      'tool "claude": "A" is pinned to an invalid reference path "a/../b": path segment ".." is not allowed',
    );
    expectProblem(
      "claude:\n  A: kv/a//b\n",
      2,
      'tool "claude": "A" is pinned to an invalid reference path "a//b": empty path segment',
    );
  });

  test("an include, and a default", () => {
    expectProblem("claude:\n  A: include/base\n", 2, 'tool "claude": "A" cannot be pinned to an include');
    expectProblem(
      "claude:\n  A: llm/x:-fallback\n",
      2,
      'tool "claude": "A" is pinned to "llm/x:-fallback", which has a default; pin the reference alone',
    );
  });

  test("the same name pinned twice", () => {
    expectProblem("claude:\n  - A: llm/x\n  - A: llm/y\n", 3, 'tool "claude": "A" is pinned more than once');
    expectProblem("claude: {A: llm/x, A: llm/x}\n", 1, "Map keys must be unique");
  });
});

describe("parsePin agrees with the template's reference grammar", () => {
  test("a pin parses to what the same text means in a template", () => {
    const segment = fc.stringMatching(/^[a-z0-9_-]{1,6}$/);
    fc.assert(
      fc.property(
        fc.stringMatching(/^[a-z][a-z0-9-]{0,5}$/).filter((type) => type !== "include"),
        fc.array(segment, { minLength: 1, maxLength: 3 }),
        fc.option(fc.stringMatching(/^[a-z0-9_]{1,6}$/), { nil: undefined }),
        (type, segments, key) => {
          const text = `${type}/${segments.join("/")}${key === undefined ? "" : `#${key}`}`;
          const fromTemplate = parseReference(`\${kms:${text}}`);
          if (fromTemplate === null) throw new Error(`the template grammar refused ${text}`);
          expect(parsePin(text)).toEqual({
            ok: true,
            pin: { type: fromTemplate.type, path: fromTemplate.path, key: fromTemplate.key },
          });
        },
      ),
      { numRuns: 300 },
    );
  });
});
