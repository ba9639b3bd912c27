// The --secure audit log file (§9.4): created or narrowed to 0600, one NDJSON line per record,
// and an unusable path refused before anything is written.
import { afterEach, beforeEach, describe, expect, test } from "bun:test";
import { chmodSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { AllowlistError, openAuditLog } from "../src/index.ts";

let root: string;
beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), "kpm-audit-log-"));
});
afterEach(() => rmSync(root, { recursive: true, force: true }));

function mode(path: string): number {
  return statSync(path).mode & 0o777;
}

function openError(path: string): AllowlistError {
  try {
    openAuditLog(path, { tool: "t", mode: "default" });
  } catch (error) {
    if (error instanceof AllowlistError) return error;
    throw error;
  }
  throw new Error("expected the log to be refused");
}

describe("openAuditLog", () => {
  test("creates the log 0600 before any record is written", () => {
    const path = join(root, "audit.log");
    const log = openAuditLog(path, { tool: "claude", mode: "strict" });
    expect(log.path).toBe(path);
    expect(readFileSync(path, "utf8")).toBe("");
    expect(mode(path)).toBe(0o600);
  });

  test("narrows an existing wider log to 0600 and appends to it", () => {
    const path = join(root, "audit.log");
    writeFileSync(path, "earlier\n");
    chmodSync(path, 0o644);
    const log = openAuditLog(path, { tool: "claude", mode: "strict" });
    expect(mode(path)).toBe(0o600);
    log.record({ variable: "A", ref: "llm/anthropic", outcome: "allowed" });
    log.record({ variable: "B", ref: "kv/x#k", outcome: "denied" });
    const lines = readFileSync(path, "utf8").split("\n");
    expect(lines[0]).toBe("earlier");
    expect(JSON.parse(lines[1] ?? "")).toMatchObject({
      tool: "claude",
      var: "A",
      outcome: "allowed",
      mode: "strict",
    });
    expect(JSON.parse(lines[2] ?? "")).toMatchObject({
      action: "secure_filter",
      var: "B",
      outcome: "denied",
    });
    expect(lines[3]).toBe("");
  });

  test("append writes any record as one line", () => {
    const path = join(root, "audit.log");
    const log = openAuditLog(path, { tool: "t", mode: "default" });
    const record = {
      ts: "2026-01-01T00:00:00.000Z",
      action: "secure_allow" as const,
      tool: "t",
      var: "A",
      ref: "kv/x#k",
      outcome: "allowed" as const,
      mode: "default" as const,
    };
    log.append(record);
    expect(readFileSync(path, "utf8")).toBe(`${JSON.stringify(record)}\n`);
  });

  test("a log under a regular file is refused with the exact CLI line", () => {
    const file = join(root, "file");
    writeFileSync(file, "");
    const path = join(file, "audit.log");
    const error = openError(path);
    expect(error.code).toBe("audit_log");
    expect(error.message).toBe(`kpm: cannot open audit log ${path}: not a directory`);
  });

  test("a log in a directory that does not exist is refused", () => {
    const path = join(root, "missing", "audit.log");
    expect(openError(path).message).toBe(`kpm: cannot open audit log ${path}: no such file or directory`);
  });

  test("a directory is not a log", () => {
    expect(openError(root).message).toBe(`kpm: cannot open audit log ${root}: is a directory`);
  });
});

describe("the open sink", () => {
  test("appends records through a descriptor opened once, after the path is gone from reach", async () => {
    const { swapRecord } = await import("../src/index.ts");
    const path = join(root, "audit.ndjson");
    const log = openAuditLog(path, { tool: "t", mode: "default" });
    const sink = log.openSink();
    // A moved file is still the one written: the descriptor, not the path, is used.
    const moved = join(root, "moved.ndjson");
    (await import("node:fs")).renameSync(path, moved);
    sink.append(
      swapRecord({ variable: "A", ref: "llm/x", host: "h", method: "GET", path: "/" }, "t", "default"),
    );
    sink.close();
    expect(readFileSync(moved, "utf8")).toContain('"action":"broker_swap"');
  });
});
