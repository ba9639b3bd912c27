import { describe, expect, test } from "bun:test";
import { mkdtempSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import fc from "fast-check";
import {
  type AuditEventInput,
  AuditLog,
  AuditRejectedError,
  auditRejection,
  formatRfc3339Nano,
  serializeAuditEvent,
} from "../src/audit.ts";

const BASE: AuditEventInput = {
  caller_id: "forge-gateway",
  team_id: "AgentKMS Dev",
  operation: "secret_write",
  outcome: "success",
};
const FIXED = { eventId: "e", timestamp: "t", environment: "dev" };

describe("audit events", () => {
  test("serialises in AgentKMS struct order, omitting empty fields but never caller_id/team_id/outcome", () => {
    const line = serializeAuditEvent(
      {
        ...BASE,
        caller_id: "",
        team_id: "",
        rule_id: "r",
        key_id: "secrets/a",
        agent_session: "j",
        deny_reason: "",
        compliance_tags: [],
        caller_role: "developer",
        cert_fingerprint: "ab",
      },
      FIXED,
    );
    expect(line).toBe(
      '{"schema_version":1,"event_id":"e","timestamp":"t","caller_id":"","team_id":"","agent_session":"j",' +
        '"operation":"secret_write","key_id":"secrets/a","outcome":"success","environment":"dev","rule_id":"r",' +
        '"cert_fingerprint":"ab","caller_role":"developer"}',
    );
  });

  test("the real server's example event has the same key order as ours", () => {
    const fixture = readFileSync(
      join(import.meta.dir, "../../../test/fixtures/agentkms-dev-v0.3.1/datadir/audit.ndjson"),
      "utf8",
    ).split("\n");
    const real = JSON.parse(
      fixture.find((l) => l.includes('"provider_token_hash"') && l.includes("llm")) ?? "{}",
    );
    const ours = JSON.parse(
      serializeAuditEvent(
        { ...real, caller_id: real.caller_id, team_id: real.team_id },
        {
          eventId: real.event_id,
          timestamp: real.timestamp,
          environment: real.environment,
        },
      ),
    );
    expect(Object.keys(ours)).toEqual(Object.keys(real));
  });

  test("Validate(): PEM markers and 64+ hex runs in text fields, non-lowercase-hex hashes are rejected", () => {
    expect(auditRejection(BASE)).toBeNull();
    expect(auditRejection({ ...BASE, key_id: "-----BEGIN PRIVATE KEY" })).toBe(
      "key_id contains PEM material",
    );
    expect(auditRejection({ ...BASE, user_agent: "x".repeat(3) + "a".repeat(64) })).toBe(
      "user_agent contains a long hex run",
    );
    expect(auditRejection({ ...BASE, deny_reason: "a".repeat(63) })).toBeNull();
    expect(auditRejection({ ...BASE, cert_fingerprint: "AB" })).toBe("cert_fingerprint is not lowercase hex");
    expect(auditRejection({ ...BASE, provider_token_hash: "zz" })).toBe(
      "provider_token_hash is not lowercase hex",
    );
  });

  test("RFC 3339 with trimmed fractional seconds, UTC", () => {
    expect(formatRfc3339Nano(new Date("2026-01-02T03:04:05.120Z"))).toBe("2026-01-02T03:04:05.12Z");
    expect(formatRfc3339Nano(new Date("2026-01-02T03:04:05.000Z"))).toBe("2026-01-02T03:04:05Z");
  });

  test("property: serialised events are one JSON line that round-trips every text field", () => {
    fc.assert(
      fc.property(fc.string(), fc.string(), (key, reason) => {
        const line = serializeAuditEvent({ ...BASE, key_id: key, deny_reason: reason }, FIXED);
        expect(line.includes("\n")).toBe(false);
        const parsed = JSON.parse(line);
        expect(parsed.key_id).toBe(key === "" ? undefined : key);
        expect(parsed.deny_reason).toBe(reason === "" ? undefined : reason);
      }),
    );
  });
});

describe("AuditLog", () => {
  test("appends one fsync'd line per event to a 0600 file, keeps existing lines, and refuses rejected events", () => {
    const dir = mkdtempSync(join(tmpdir(), "kpm-audit-"));
    const file = join(dir, "audit.ndjson");
    const first = new AuditLog(file, "staging");
    first.record(BASE);
    first.close();
    first.close();
    const second = new AuditLog(file, "staging");
    second.record({ ...BASE, operation: "auth" });
    expect(() => second.record({ ...BASE, key_id: "-----END" })).toThrow(AuditRejectedError);
    second.close();
    expect(() => second.record(BASE)).toThrow("audit log is closed");
    const lines = readFileSync(file, "utf8").trimEnd().split("\n");
    expect(lines.map((l) => JSON.parse(l).operation)).toEqual(["secret_write", "auth"]);
    expect(JSON.parse(lines[0] ?? "{}").environment).toBe("staging");
    expect(JSON.parse(lines[0] ?? "{}").event_id).toMatch(/^[0-9a-f-]{36}$/);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    rmSync(dir, { recursive: true, force: true });
  });
});
