// Brokered pins in secure-allowlist.yaml (docs/allowlist.md, docs/broker.md): the accepted
// forms, every refusal with its line, and how several lists bound the hosts.
import { describe, expect, test } from "bun:test";
import { AllowlistError, brokeredHosts, parseAllowlist } from "../src/index.ts";

const PATH = "/p/.kpm/secure-allowlist.yaml";

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

describe("brokered pins", () => {
  test("a brokered entry pins the reference and names its hosts, beside plain and pinned entries", () => {
    const list = parseAllowlist(
      [
        "claude:",
        "  - GH_TOKEN",
        "  - OTHER: kv/x",
        '  - ANTHROPIC_API_KEY: {ref: llm/anthropic, hosts: [API.Anthropic.com., "*.openai.com"]}',
        "",
      ].join("\n"),
      PATH,
    );
    const rules = list.get("claude");
    expect(rules?.patterns).toEqual(["GH_TOKEN"]);
    expect(rules?.pins.get("ANTHROPIC_API_KEY")).toEqual({ type: "llm", path: "anthropic", key: undefined });
    expect(rules?.pins.get("OTHER")).toEqual({ type: "kv", path: "x", key: undefined });
    expect(rules?.brokered?.get("ANTHROPIC_API_KEY")).toEqual(["api.anthropic.com", "*.openai.com"]);
    expect(rules?.brokered?.has("OTHER")).toBe(false);
  });

  test("every malformed brokered entry is one line naming the problem", () => {
    expectProblem("claude:\n  A: {hosts: [a.com]}\n", 2, 'tool "claude": "A": a brokered entry needs ref');
    expectProblem("claude:\n  A: {ref: llm/x}\n", 2, 'tool "claude": "A": a brokered entry needs hosts');
    expectProblem(
      "claude:\n  A: {ref: llm/x, hosts: []}\n",
      2,
      'tool "claude": "A": hosts must be a non-empty list of host names',
    );
    expectProblem(
      "claude:\n  A: {ref: llm/x, hosts: a.com}\n",
      2,
      'tool "claude": "A": hosts must be a non-empty list of host names',
    );
    expectProblem(
      'claude:\n  A: {ref: llm/x, hosts: ["a.*.com"]}\n',
      2,
      'tool "claude": "A": invalid host "a.*.com" (a name, or *.domain)',
    );
    expectProblem(
      "claude:\n  A: {ref: llm/x, hosts: [1]}\n",
      2,
      'tool "claude": "A": invalid host "" (a name, or *.domain)',
    );
    expectProblem(
      "claude:\n  A: {ref: [x], hosts: [a.com]}\n",
      2,
      'tool "claude": "A": ref must be a reference such as llm/anthropic',
    );
    expectProblem(
      "claude:\n  A: {ref: nope, hosts: [a.com]}\n",
      2,
      'tool "claude": "A" is pinned to an invalid reference "nope" (expected <type>/<path>[#key])',
    );
    expectProblem(
      "claude:\n  A: {ref: llm/x, hosts: [a.com], port: 1}\n",
      2,
      'tool "claude": "A": unknown key "port" (expected ref and hosts)',
    );
  });

  test("hosts across lists: only hosts every brokering list names; a plain grant cannot unbroker", () => {
    const user = parseAllowlist("claude:\n  A: {ref: llm/x, hosts: [a.com, b.com]}\n", PATH);
    const project = parseAllowlist("claude:\n  A: {ref: llm/x, hosts: [b.com, c.com]}\n", PATH);
    const plain = parseAllowlist("claude:\n  A: llm/x\n", PATH);
    expect(brokeredHosts([user], "claude", "A")).toEqual(["a.com", "b.com"]);
    expect(brokeredHosts([project, user], "claude", "A")).toEqual(["b.com"]);
    expect(brokeredHosts([plain, user], "claude", "A")).toEqual(["a.com", "b.com"]);
    expect(brokeredHosts([plain], "claude", "A")).toBeNull();
    expect(brokeredHosts([user], "cursor", "A")).toBeNull();
  });
});
