// The reserved keys of a tool entry: path, sha256 and inherit parse into settings, beside pins and
// names, in a mapping or a list; every wrong shape is one line naming the file and line.
import { describe, expect, test } from "bun:test";
import { AllowlistError, isToolSettingKey, parseAllowlist } from "../src/index.ts";

const PATH = "/p/secure-allowlist.yaml";
const DIGEST = "ab".repeat(32);

function problem(text: string): string {
  try {
    parseAllowlist(text, PATH);
  } catch (error) {
    if (error instanceof AllowlistError)
      return error.message.replace(`kpm: parse secure-allowlist.yaml: ${PATH}:`, "");
    throw error;
  }
  throw new Error("expected an AllowlistError");
}

describe("tool settings parse", () => {
  test("path and sha256 in a flow mapping, beside a pin", () => {
    const list = parseAllowlist(
      `claude: {path: /usr/local/bin/claude, sha256: ${DIGEST.toUpperCase()}, ANTHROPIC_API_KEY: llm/anthropic}\n`,
      PATH,
    );
    const claude = list.get("claude");
    expect(claude?.settings).toEqual({ path: "/usr/local/bin/claude", sha256: DIGEST });
    expect([...(claude?.pins.keys() ?? [])]).toEqual(["ANTHROPIC_API_KEY"]);
  });

  test("inherit in a list, beside names and a pin", () => {
    const list = parseAllowlist(
      'claude:\n  - GH_TOKEN\n  - inherit: [NPM_TOKEN, "CI_*"]\n  - ANTHROPIC_API_KEY: llm/anthropic\n',
      PATH,
    );
    expect(list.get("claude")).toEqual({
      patterns: ["GH_TOKEN"],
      pins: new Map([["ANTHROPIC_API_KEY", { type: "llm", path: "anthropic", key: undefined }]]),
      settings: { inherit: ["NPM_TOKEN", "CI_*"] },
    });
  });

  test("a digest of digits alone is read as written, not as a number", () => {
    const digits = "1".repeat(64);
    expect(parseAllowlist(`t: {sha256: ${digits}}\n`, PATH).get("t")?.settings).toEqual({ sha256: digits });
  });

  test("a tool without settings has none; only the lower-case keys are reserved", () => {
    expect(parseAllowlist("t: [A]\n", PATH).get("t")?.settings).toBeUndefined();
    expect(isToolSettingKey("path")).toBe(true);
    expect(isToolSettingKey("PATH")).toBe(false);
    expect(isToolSettingKey(3)).toBe(false);
    expect(problem("t: {PATH: /usr/bin/x}\n")).toContain('"PATH" is pinned to an invalid reference');
  });
});

describe("tool settings refused", () => {
  const cases: Array<[string, string, string]> = [
    ["a relative path", "t: {path: bin/claude}\n", '1: tool "t": path must be the absolute path of the tool'],
    ["a path list", "t: {path: [/a]}\n", '1: tool "t": path must be the absolute path of the tool'],
    ["a null path", "t:\n  path:\n", '2: tool "t": path must be the absolute path of the tool'],
    ["a short digest", "t: {sha256: abc}\n", '1: tool "t": sha256 must be 64 hexadecimal digits'],
    [
      "a digest that is not hex",
      `t: {sha256: ${"g".repeat(64)}}\n`,
      '1: tool "t": sha256 must be 64 hexadecimal digits',
    ],
    ["a boolean digest", "t: {sha256: true}\n", '1: tool "t": sha256 must be 64 hexadecimal digits'],
    [
      "inherit as a string",
      "t: {inherit: GH_TOKEN}\n",
      '1: tool "t": inherit must be a list of variable names or globs',
    ],
    [
      "inherit with a bad pattern",
      't: {inherit: ["A-B"]}\n',
      '1: tool "t": inherit: invalid variable name pattern "A-B"',
    ],
    [
      "inherit with a number",
      "t: {inherit: [3]}\n",
      '1: tool "t": inherit: invalid variable name pattern ""',
    ],
    [
      "a path set twice across items",
      "t:\n  - path: /a\n  - path: /b\n",
      '3: tool "t": path is set more than once',
    ],
  ];
  for (const [what, text, expected] of cases)
    test(what, () => {
      expect(problem(text)).toBe(expected);
    });
});
