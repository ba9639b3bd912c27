import { describe, expect, test } from "bun:test";
import { AllowlistError, parseAllowlist, type ToolAllowlist } from "../src/index.ts";

const PATH = "/p/.kpm/secure-allowlist.yaml";

function parseFailure(text: string): AllowlistError {
  try {
    parseAllowlist(text, PATH);
  } catch (error) {
    if (error instanceof AllowlistError) return error;
    throw error;
  }
  throw new Error("expected an AllowlistError");
}

function rules(patterns: string[]): ToolAllowlist {
  return { patterns, pins: new Map() };
}

function expectProblem(text: string, line: number, problem: string): void {
  const error = parseFailure(text);
  expect(error.code).toBe("parse");
  expect(error.message).toBe(`kpm: parse secure-allowlist.yaml: ${PATH}:${line}: ${problem}`);
}

describe("parseAllowlist accepts", () => {
  test("the documented block, flow and quoted-glob forms", () => {
    const text =
      'claude:\n  - ANTHROPIC_API_KEY\ncursor: [ANTHROPIC_API_KEY, OPENAI_API_KEY]\nci-runner: ["AWS_*", GH_TOKEN]\n';
    expect(parseAllowlist(text, PATH)).toEqual(
      new Map([
        ["claude", rules(["ANTHROPIC_API_KEY"])],
        ["cursor", rules(["ANTHROPIC_API_KEY", "OPENAI_API_KEY"])],
        ["ci-runner", rules(["AWS_*", "GH_TOKEN"])],
      ]),
    );
  });

  test("an empty file, a comment-only file and an explicit null as an empty mapping", () => {
    for (const text of ["", "\n", "# nothing allowed yet\n", "null\n", "~"]) {
      expect(parseAllowlist(text, PATH).size).toBe(0);
    }
  });

  test("a tool mapped to null or nothing as null, and to [] as an empty list", () => {
    expect(parseAllowlist("a:\nb: null\nc: ~\nd: []\n", PATH)).toEqual(
      new Map<string, ToolAllowlist | null>([
        ["a", null],
        ["b", null],
        ["c", null],
        ["d", rules([])],
      ]),
    );
  });

  test("a lone quoted * entry and numeric tool names", () => {
    expect(parseAllowlist('tool: ["*"]\n123: [A1]\n', PATH)).toEqual(
      new Map([
        ["tool", rules(["*"])],
        ["123", rules(["A1"])],
      ]),
    );
  });
});

describe("parseAllowlist reports with the line number", () => {
  test("a top-level list", () => {
    expectProblem(
      "# list\n- claude\n",
      2,
      "top level must be a mapping of tool name to a list of variable names",
    );
  });

  test("a top-level scalar", () => {
    expectProblem("just text\n", 1, "top level must be a mapping of tool name to a list of variable names");
  });

  test("a tool mapped to a string", () => {
    expectProblem(
      "claude: [A]\ncursor: OPENAI_API_KEY\n",
      2,
      'tool "cursor" must map to a list of variable names',
    );
  });

  test("a tool mapped to a number", () => {
    expectProblem("claude:\n  5\n", 2, 'tool "claude" must map to a list of variable names');
  });

  test("a v0.2-style binary pin ({path, sha256, vars}): path and sha256 are settings, vars is refused", () => {
    const digest = "a".repeat(64);
    expectProblem(
      `claude: [A]\ncursor:\n  path: /usr/bin/cursor\n  sha256: ${digest}\n  vars: [A]\n`,
      5,
      'tool "cursor": "vars" must be pinned to a reference such as llm/anthropic',
    );
  });

  test("an entry that is not a string", () => {
    expectProblem("claude:\n  - A\n  - 42\n", 3, 'tool "claude": entry 2 must be a string');
    expectProblem("claude:\n  - A\n  - [B]\n", 3, 'tool "claude": entry 2 must be a string');
    expectProblem("claude:\n  - A\n  -\n", 3, 'tool "claude": entry 2 must be a string');
    expectProblem("claude: [true]\n", 1, 'tool "claude": entry 1 must be a string');
  });

  test("an invalid variable name pattern", () => {
    expectProblem("claude:\n  - A\n  - 1BAD\n", 3, 'tool "claude": invalid variable name pattern "1BAD"');
    expectProblem('claude: ["AWS-KEY"]\n', 1, 'tool "claude": invalid variable name pattern "AWS-KEY"');
    expectProblem('claude: ["A B"]\n', 1, 'tool "claude": invalid variable name pattern "A B"');
  });

  test("an empty variable name", () => {
    expectProblem('x: [A]\nclaude:\n  - ""\n', 3, 'tool "claude": invalid variable name pattern ""');
  });

  test("a YAML syntax error", () => {
    expectProblem(
      "claude: [A\ncursor: [B]\n",
      2,
      "Flow sequence in block collection must be sufficiently indented and end with a ]",
    );
    expectProblem("a: [A]\na: [B]\n", 2, "Map keys must be unique");
  });

  test("aliases and anchors", () => {
    expectProblem("base: &keys [A, B]\nclaude: *keys\n", 1, "aliases are not allowed");
    expectProblem("claude: [A]\ncursor: *keys\n", 2, "aliases are not allowed");
    // An unquoted leading * is an alias in YAML; §9.1.2 asks users to quote it.
    expectProblem("claude:\n  - *_TOKEN\n", 2, "aliases are not allowed");
  });

  test("a file over 1 MiB without a line number", () => {
    const text = `claude: [${"A,".repeat(600_000)}B]\n`;
    const error = parseFailure(text);
    expect(error.message).toBe(`kpm: parse secure-allowlist.yaml: ${PATH}: file too large (max 1 MiB)`);
  });
});

test("an alias bomb is rejected without expanding it", () => {
  const levels = ['l0: &l0 ["X","X","X","X","X","X","X","X","X"]'];
  for (let i = 1; i < 30; i++)
    levels.push(
      `l${i}: &l${i} [${Array(9)
        .fill(`*l${i - 1}`)
        .join(",")}]`,
    );
  // Expanded, this would be 9^30 strings; the walk must stop at the first anchor.
  expect(parseFailure(levels.join("\n")).message).toEndWith(":1: aliases are not allowed");
});

test("a parse error never yields an allow-list, let alone allow-everything", () => {
  for (const text of ['claude: ["*"]\nbroken: [\n', 'claude: ["*"]\ncursor: OPEN\n', 'claude: ["*", 5]\n']) {
    let result: unknown;
    try {
      result = parseAllowlist(text, PATH);
    } catch (error) {
      expect(error).toBeInstanceOf(AllowlistError);
    }
    expect(result).toBeUndefined();
  }
});
