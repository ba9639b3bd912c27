// Host patterns of brokered entries: what is a valid pattern and what a glob matches.
import { describe, expect, test } from "bun:test";
import { matchesHost, normalizeHostPattern } from "../src/host-pattern.ts";

describe("host patterns", () => {
  test("names and *.domain globs are accepted, lower-cased, without a trailing dot", () => {
    expect(normalizeHostPattern("API.Anthropic.com.")).toBe("api.anthropic.com");
    expect(normalizeHostPattern("*.openai.com")).toBe("*.openai.com");
    expect(normalizeHostPattern("localhost")).toBe("localhost");
    for (const bad of [
      "",
      "a.*.com",
      "*",
      "*.",
      "a b",
      "-a.com",
      "a..com",
      "http://a.com",
      `${"a".repeat(64)}.com`,
    ])
      expect(normalizeHostPattern(bad)).toBeNull();
  });

  test("a glob matches exactly one label below its domain", () => {
    expect(matchesHost("*.openai.com", "api.openai.com")).toBe(true);
    expect(matchesHost("*.openai.com", "API.OpenAI.com.")).toBe(true);
    expect(matchesHost("*.openai.com", "openai.com")).toBe(false);
    expect(matchesHost("*.openai.com", "a.b.openai.com")).toBe(false);
    expect(matchesHost("*.openai.com", "evilopenai.com")).toBe(false);
    expect(matchesHost("api.anthropic.com", "api.anthropic.com")).toBe(true);
    expect(matchesHost("api.anthropic.com", "api.anthropic.com.evil")).toBe(false);
  });
});
