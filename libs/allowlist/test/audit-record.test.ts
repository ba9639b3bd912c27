// The NDJSON audit record (§9.4): a typed record, serialized with its fields in a fixed order.
import { describe, expect, test } from "bun:test";
import {
  type DecisionRecord,
  decisionRecord,
  formatAuditRecord,
  serializeAuditRecord,
} from "../src/index.ts";

const now = new Date("2026-03-04T05:06:07.089Z");

describe("decision records", () => {
  test("an allowed variable is secure_allow, fields in the order they are written", () => {
    const record = decisionRecord(
      { variable: "A", ref: "llm/anthropic", outcome: "allowed" },
      "claude",
      "default",
      now,
    );
    expect(Object.keys(record)).toEqual(["ts", "action", "tool", "var", "ref", "outcome", "mode"]);
    expect(serializeAuditRecord(record)).toBe(
      '{"ts":"2026-03-04T05:06:07.089Z","action":"secure_allow","tool":"claude","var":"A","ref":"llm/anthropic","outcome":"allowed","mode":"default"}\n',
    );
  });

  test("unavailable is still an allow; denied and ref_mismatch are filters", () => {
    const action = (outcome: DecisionRecord["outcome"]) =>
      decisionRecord({ variable: "A", ref: "kv/x#k", outcome }, "t", "strict", now).action;
    expect(action("unavailable")).toBe("secure_allow");
    expect(action("denied")).toBe("secure_filter");
    expect(action("ref_mismatch")).toBe("secure_filter");
  });

  test("pinned is written last, and only when the decision has one", () => {
    const record = decisionRecord(
      { variable: "A", ref: "llm/evil", outcome: "ref_mismatch", pinned: "llm/anthropic" },
      "claude",
      "default",
      now,
    );
    expect(Object.keys(record).at(-1)).toBe("pinned");
    expect(serializeAuditRecord(record)).toEndWith(',"mode":"default","pinned":"llm/anthropic"}\n');
  });

  test("formatAuditRecord is the serialized decision record", () => {
    const event = { variable: "A", ref: "kv/x#k", outcome: "denied" as const };
    expect(formatAuditRecord(event, "t", "default", now)).toBe(
      serializeAuditRecord(decisionRecord(event, "t", "default", now)),
    );
  });

  test("a record is one line: control characters and quotes in a reference are escaped", () => {
    const line = serializeAuditRecord(
      decisionRecord({ variable: "A", ref: 'kv/a\nb"c#k', outcome: "allowed" }, "t", "default", now),
    );
    expect(line.split("\n")).toHaveLength(2);
    expect(JSON.parse(line).ref).toBe('kv/a\nb"c#k');
  });
});

describe("swap records", () => {
  test("a broker swap names tool, variable, reference, host, method and path, never a value", async () => {
    const { swapRecord } = await import("../src/index.ts");
    const record = swapRecord(
      {
        variable: "A",
        ref: "llm/anthropic",
        host: "api.anthropic.com",
        method: "POST",
        path: "/v1/messages",
      },
      "claude",
      "strict",
      now,
    );
    expect(serializeAuditRecord(record)).toBe(
      '{"ts":"2026-03-04T05:06:07.089Z","action":"broker_swap","tool":"claude","var":"A","ref":"llm/anthropic","host":"api.anthropic.com","method":"POST","path":"/v1/messages","mode":"strict"}\n',
    );
  });
});
