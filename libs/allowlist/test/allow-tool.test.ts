// `kpm allow`'s edit: the tool's path and sha256 are set in place, or the tool is added, and every
// comment, name, pin and other tool stays; the result always parses back to the same pins.
import { describe, expect, test } from "bun:test";
import { AllowlistError, parseAllowlist, pinToolInAllowlist, type ToolPinUpdate } from "../src/index.ts";

const FILE = "/u/secure-allowlist.yaml";
const DIGEST = "a".repeat(64);
const PIN: ToolPinUpdate = { path: "/usr/bin/claude", sha256: DIGEST };

function settingsAfter(text: string, update = PIN) {
  const result = pinToolInAllowlist(text, FILE, "claude", update);
  return { result, claude: parseAllowlist(result, FILE).get("claude") };
}

describe("pinToolInAllowlist", () => {
  test("a missing, empty, comment-only or null file gets the tool as a block mapping", () => {
    for (const text of ["", "# mine\n", "null\n"]) {
      const { result, claude } = settingsAfter(text);
      expect(claude?.settings).toEqual(PIN);
      expect(result).toEndWith(`claude:\n  path: /usr/bin/claude\n  sha256: ${DIGEST}\n`);
      if (text.startsWith("#")) expect(result).toStartWith("# mine\n");
    }
  });

  test("other tools and comments stay as written; a new tool is appended", () => {
    const text = "# my agents\ncodex: [OPENAI_API_KEY] # pinned later\n";
    const { result } = settingsAfter(text);
    expect(result).toBe(`${text}claude:\n  path: /usr/bin/claude\n  sha256: ${DIGEST}\n`);
  });

  test("a mapping entry keeps its pins; a flow mapping becomes a block", () => {
    const { result, claude } = settingsAfter("claude: { ANTHROPIC_API_KEY: llm/anthropic } # the key\n");
    expect(result).toContain("# the key");
    expect(claude?.pins.get("ANTHROPIC_API_KEY")).toEqual({ type: "llm", path: "anthropic", key: undefined });
    expect(claude?.settings).toEqual(PIN);
  });

  test("a list gets a settings item, or its existing one is updated", () => {
    const added = settingsAfter("claude:\n  # names\n  - GH_TOKEN\n");
    expect(added.result).toBe(
      `claude:\n  # names\n  - GH_TOKEN\n  - path: /usr/bin/claude\n    sha256: ${DIGEST}\n`,
    );
    const updated = settingsAfter(
      `claude: [GH_TOKEN, {path: /old, sha256: ${"b".repeat(64)}, inherit: [X]}]\n`,
    );
    expect(updated.claude?.patterns).toEqual(["GH_TOKEN"]);
    expect(updated.claude?.settings).toEqual({ ...PIN, inherit: ["X"] });
  });

  test("a null or empty-list tool gets the pin", () => {
    expect(settingsAfter("claude:\n").claude?.settings).toEqual(PIN);
    expect(settingsAfter("claude: []\n").claude?.settings).toEqual(PIN);
  });

  test("--path-only sets the path and removes a digest that would pin the old content", () => {
    const { claude } = settingsAfter(`claude: {path: /x, sha256: ${DIGEST}}\n`, {
      path: "/y",
      sha256: undefined,
    });
    expect(claude?.settings).toEqual({ path: "/y" });
  });

  test("a file that does not parse is refused with its line, and not rewritten", () => {
    expect(() => pinToolInAllowlist("claude: [A]\nclaude: [B]\n", FILE, "claude", PIN)).toThrow(
      AllowlistError,
    );
  });
});
