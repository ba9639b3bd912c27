import { describe, expect, test } from "bun:test";
import { formatAuditLine, formatAuditRecord, formatPinRefusal, referenceToken } from "../src/index.ts";

describe("verbose kpm_audit lines", () => {
  test("match §9.4 with the reference added, two spaces after secure_allow", () => {
    expect(
      formatAuditLine({ variable: "GH_TOKEN", ref: "kv/github#token", outcome: "allowed" }, "ci-runner"),
    ).toBe("kpm_audit action=secure_allow  tool=ci-runner var=GH_TOKEN ref=kv/github#token outcome=allowed");
    expect(
      formatAuditLine({ variable: "OPENAI_API_KEY", ref: "llm/openai", outcome: "denied" }, "ci-runner"),
    ).toBe("kpm_audit action=secure_filter tool=ci-runner var=OPENAI_API_KEY ref=llm/openai outcome=denied");
  });

  test("a ref_mismatch is filtered and names the pin", () => {
    const decision = {
      variable: "ANTHROPIC_API_KEY",
      ref: "llm/evil",
      outcome: "ref_mismatch" as const,
      pinned: "llm/anthropic",
    };
    expect(formatAuditLine(decision, "claude")).toBe(
      "kpm_audit action=secure_filter tool=claude var=ANTHROPIC_API_KEY ref=llm/evil outcome=ref_mismatch pinned=llm/anthropic",
    );
  });

  test("a reference with spaces, quotes or control characters is one JSON-quoted token", () => {
    expect(referenceToken("kv/a b#k")).toBe('"kv/a b#k"');
    expect(referenceToken('kv/a"b')).toBe('"kv/a\\"b"');
    expect(referenceToken("kv/a#\u001b[2J")).toBe('"kv/a#\\u001b[2J"');
    expect(referenceToken("kv/x outcome=allowed")).toBe('"kv/x outcome=allowed"');
    expect(referenceToken("svc/a:b#c")).toBe("svc/a:b#c");
    const line = formatAuditLine({ variable: "X", ref: "kv/x outcome=allowed", outcome: "denied" }, "t");
    expect(line).toEndWith('ref="kv/x outcome=allowed" outcome=denied');
  });
});

describe("NDJSON audit records", () => {
  const now = new Date("2026-03-04T05:06:07.089Z");

  test("carry how the tool was confined, when given", () => {
    const event = {
      variable: "A",
      ref: "kv/x#k",
      outcome: "allowed" as const,
      confinement: "landlock (ABI 7)",
    };
    expect(JSON.parse(formatAuditRecord(event, "claude", "default", now)).confinement).toBe(
      "landlock (ABI 7)",
    );
  });

  test("carry the reference after the variable; pinned only on ref_mismatch, last", () => {
    expect(
      formatAuditRecord(
        { variable: "A", ref: "llm/anthropic", outcome: "allowed" },
        "claude",
        "default",
        now,
      ),
    ).toBe(
      '{"ts":"2026-03-04T05:06:07.089Z","action":"secure_allow","tool":"claude","var":"A","ref":"llm/anthropic","outcome":"allowed","mode":"default"}\n',
    );
    expect(
      formatAuditRecord({ variable: "A", ref: "kv/x#k", outcome: "unavailable" }, "claude", "strict", now),
    ).toBe(
      '{"ts":"2026-03-04T05:06:07.089Z","action":"secure_allow","tool":"claude","var":"A","ref":"kv/x#k","outcome":"unavailable","mode":"strict"}\n',
    );
    const mismatch = {
      variable: "A",
      ref: "llm/evil",
      outcome: "ref_mismatch" as const,
      pinned: "llm/anthropic",
    };
    expect(JSON.parse(formatAuditRecord(mismatch, "claude", "default", now))).toEqual({
      ts: "2026-03-04T05:06:07.089Z",
      action: "secure_filter",
      tool: "claude",
      var: "A",
      ref: "llm/evil",
      outcome: "ref_mismatch",
      mode: "default",
      pinned: "llm/anthropic",
    });
  });
});

test("the pin refusal names tool, variable, template file:line and both references", () => {
  const decision = {
    variable: "ANTHROPIC_API_KEY",
    ref: "llm/evil",
    outcome: "ref_mismatch" as const,
    pinned: "llm/anthropic",
  };
  expect(formatPinRefusal("claude", decision, "/p/.kpm/templates/claude.template:3")).toBe(
    "kpm: --secure: claude: ANTHROPIC_API_KEY at /p/.kpm/templates/claude.template:3 is kms:llm/evil, the allow-list pins llm/anthropic; not injected",
  );
  expect(formatPinRefusal("claude", { ...decision, ref: "kv/a\nb" }, "t:1")).toContain('is kms:"kv/a\\nb",');
});
