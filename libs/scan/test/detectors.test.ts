import { describe, expect, test } from "bun:test";
import { buildCorpus, secretValues } from "../../../test/fixtures/secret-corpus.ts";
import { detectInText, isPlaceholder, redact } from "../src/index.ts";

const corpus = buildCorpus();

describe("detectors over the planted corpus", () => {
  test("every planted secret is found on its line", async () => {
    for (const planted of corpus.planted) {
      const findings = await detectInText(planted.file, corpus.files[planted.file] ?? "");
      const onLine = findings.filter((finding) => finding.line === planted.line);
      expect({ kind: planted.kind, found: onLine.length > 0 }).toEqual({ kind: planted.kind, found: true });
    }
  });

  test("no look-alike is reported", async () => {
    for (const file of corpus.lookalikeFiles) {
      const findings = await detectInText(file, corpus.files[file] ?? "");
      expect(findings.map((finding) => `${finding.file}:${finding.line} ${finding.rule}`)).toEqual([]);
    }
  });

  test("findings carry a redacted preview, never the value", async () => {
    const values = secretValues(corpus);
    for (const [file, content] of Object.entries(corpus.files)) {
      const text = JSON.stringify(await detectInText(file, content));
      for (const value of values) expect(text.includes(value)).toBe(false);
    }
  });

  test("a finding's column points at the value's first character", async () => {
    const content = corpus.files[".env"] ?? "";
    const github = corpus.planted.find((planted) => planted.kind === "github-token");
    const findings = await detectInText(".env", content);
    const finding = findings.find((item) => item.line === github?.line);
    const line = content.split("\n")[(github?.line ?? 1) - 1] ?? "";
    expect(line.slice((finding?.column ?? 1) - 1).startsWith(github?.value ?? "?")).toBe(true);
    expect(finding?.rule).toBe("secretlint/github/GITHUB_TOKEN");
  });

  test("a text without secrets has no findings", async () => {
    expect(await detectInText("a.ts", "const port = 8080;\nexport default port;\n")).toEqual([]);
  });
});

describe("redact and placeholders", () => {
  test("redact shows four characters and the length, or only the length when short", () => {
    expect(redact("abcdefghijkl")).toBe("abcd…(12 chars)");
    expect(redact("hunter2")).toBe("…(7 chars)");
  });

  test("placeholders: example keys, repeated characters, integrity hashes", () => {
    expect(isPlaceholder("AKIAIOSFODNN7EXAMPLE")).toBe(true);
    expect(isPlaceholder("ghp_xxxxxxxxxxxxxxxx")).toBe(true);
    expect(isPlaceholder("sha512-abc")).toBe(true);
    expect(isPlaceholder("ghp_8s4fQ2mZ")).toBe(false);
  });
});
