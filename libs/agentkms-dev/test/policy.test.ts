import { describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DevError } from "../src/errors.ts";
import { defaultPolicy, evaluate, loadPolicy, parsePolicy } from "../src/policy.ts";

const DEV = { callerId: "forge-gateway", teamId: "AgentKMS Dev", role: "developer" };
const NOW = new Date("2026-11-30T10:30:00Z"); // a Monday

function policyError(text: string): string {
  try {
    parsePolicy(text, "p.yaml");
  } catch (error) {
    expect(error).toBeInstanceOf(DevError);
    expect((error as DevError).code).toBe("policy");
    return (error as DevError).message;
  }
  throw new Error("expected a policy error");
}

const rule = (body: string) => `version: "1"\nrules:\n  - id: r\n    effect: allow\n${body}`;

describe("policy loading", () => {
  test("the default policy allows every role everything as dev-allow-all", () => {
    const policy = defaultPolicy();
    for (const role of ["developer", "service", "agent"]) {
      expect(evaluate(policy, { ...DEV, role }, "secret_purge", "secrets/x", NOW)).toEqual({
        allowed: true,
        ruleId: "dev-allow-all",
      });
    }
  });

  test("unknown keys anywhere are rejected with the file and the field", () => {
    expect(policyError('version: "1"\nrules: []\nextra: 1')).toBe('p.yaml: unknown field "extra"');
    expect(policyError(rule("    match: { key_prefx: a }\n"))).toBe(
      'p.yaml: rules[0].match: unknown field "key_prefx"',
    );
    expect(policyError(rule("    match: { identity: { team: a } }\n"))).toBe(
      'p.yaml: rules[0].match.identity: unknown field "team"',
    );
    expect(policyError(rule("    time_window: { start_utc: 1, end_utc: 2, tz: x }\n"))).toContain(
      'unknown field "tz"',
    );
  });

  test("semantic validation: version, ids, effect, roles, operations, globs, exclusivity, limits, windows, bounds", () => {
    expect(policyError('version: "2"\nrules: []')).toBe('p.yaml: version: must be "1", got "2"');
    expect(policyError("version: 1\nrules: []")).toContain("p.yaml: version:");
    expect(policyError("rules: []")).toBe("p.yaml: version: is required");
    expect(policyError('version: "1"\nrules:\n  - effect: allow')).toBe("p.yaml: rules[0].id: is required");
    expect(policyError('version: "1"\nrules:\n  - { id: " ", effect: allow }')).toBe(
      "p.yaml: rules[0].id: is required",
    );
    expect(
      policyError('version: "1"\nrules:\n  - { id: a, effect: allow }\n  - { id: a, effect: deny }'),
    ).toBe('p.yaml: rules[1].id: duplicate rule id "a"');
    expect(policyError('version: "1"\nrules:\n  - { id: a, effect: permit }')).toContain("rules[0].effect");
    expect(policyError(rule("    match: { identity: { roles: [admin] } }\n"))).toContain(
      "roles[0]: unknown role",
    );
    expect(policyError(rule("    match: { operations: [secret_read] }\n"))).toContain(
      'unknown operation "secret_read"',
    );
    expect(policyError(rule("    match: { identity: { caller_id_pattern: '[z-a]' } }\n"))).toContain(
      "reversed range",
    );
    expect(policyError(rule("    match: { identity: { caller_id_pattern: 'ci-[' } }\n"))).toContain(
      "invalid glob",
    );
    expect(policyError(rule("    match: { key_ids: [a], key_prefix: b }\n"))).toContain("mutually exclusive");
    expect(policyError(rule("    rate_limit: { max_requests: 0, window: 1h }\n"))).toContain(
      "must be positive",
    );
    expect(policyError(rule("    rate_limit: { max_requests: 1, window: soon }\n"))).toContain(
      'invalid duration "soon"',
    );
    expect(policyError(rule("    time_window: { start_utc: 25, end_utc: 2 }\n"))).toContain("start_utc");
    expect(policyError(rule("    time_window: { start_utc: 1, end_utc: 0 }\n"))).toContain("end_utc");
    expect(policyError(rule("    time_window: { start_utc: 5, end_utc: 5 }\n"))).toContain("before end_utc");
    expect(policyError(rule("    time_window: { days: [funday], start_utc: 1, end_utc: 2 }\n"))).toContain(
      "days[0]",
    );
    expect(policyError(rule("    bounds: { max_ttl: forever }\n"))).toContain("bounds.max_ttl");
    expect(policyError('version: "1"\nrules:\n  - { id: a, effect: deny, bounds: { kind: x } }')).toContain(
      "only allowed on allow rules",
    );
    expect(policyError("version: [")).toContain("invalid YAML");
    expect(policyError('version: "1"\nversion: "1"\nrules: []')).toContain("invalid YAML");
    expect(policyError(rule("    rate_limit: { max_requests: 1.5, window: 1h }\n"))).toContain(
      "max_requests",
    );
  });

  test("loadPolicy reads a file and names it in errors", () => {
    const dir = mkdtempSync(join(tmpdir(), "kpm-policy-"));
    const file = join(dir, "policy.yaml");
    writeFileSync(file, rule("    bounds: { kind: llm, max_params: { n: 1 }, max_ttl: 1h }\n"));
    expect(loadPolicy(file).rules[0]?.id).toBe("r");
    expect(() => loadPolicy(join(dir, "missing.yaml"))).toThrow(
      `${join(dir, "missing.yaml")}: cannot read: ENOENT`,
    );
    rmSync(dir, { recursive: true, force: true });
  });

  test("a policy of /dev/zero or /dev/urandom is refused at 1 MiB at once", () => {
    for (const device of ["/dev/zero", "/dev/urandom"]) {
      const started = performance.now();
      expect(() => loadPolicy(device)).toThrow(`${device}: file too large (max 1 MiB)`);
      expect(performance.now() - started).toBeLessThan(1000);
    }
  });
});

describe("policy evaluation", () => {
  const policy = () =>
    parsePolicy(
      [
        'version: "1"',
        "rules:",
        "  - { id: deny-prod, description: no prod, effect: deny, match: { key_prefix: secrets/prod/ } }",
        "  - id: ci",
        "    effect: allow",
        "    match: { identity: { caller_id_pattern: 'ci-*', team_id: Builds, roles: [Service] }, key_ids: [secrets/ci/token] }",
        "  - id: office-hours",
        "    effect: allow",
        "    match: { operations: [credential_vend] }",
        "    time_window: { days: [mon, tue], start_utc: 9, end_utc: 17 }",
        "  - id: limited",
        "    effect: allow",
        "    match: { operations: [secret_write] }",
        "    rate_limit: { max_requests: 2, window: 1m }",
        "  - { id: later, effect: allow, match: { operations: [secret_write] } }",
      ].join("\n"),
      "p.yaml",
    );

  test("first match wins, deny rules carry their description, no match denies by default", () => {
    const p = policy();
    expect(evaluate(p, DEV, "credential_vend", "secrets/prod/db", NOW)).toEqual({
      allowed: false,
      ruleId: "deny-prod",
      reason: 'policy: denied by rule "deny-prod": no prod',
    });
    expect(evaluate(p, DEV, "secret_delete", "secrets/x", NOW)).toEqual({
      allowed: false,
      reason: "policy: no rule allows this operation (deny by default)",
    });
  });

  test("identity dimensions: glob on CN, exact team, roles case-insensitive, exact key ids", () => {
    const p = policy();
    const ci = { callerId: "ci-main", teamId: "Builds", role: "service" };
    expect(evaluate(p, ci, "secret_delete", "secrets/ci/token", NOW).ruleId).toBe("ci");
    expect(
      evaluate(p, { ...ci, callerId: "ci/main" }, "secret_delete", "secrets/ci/token", NOW).allowed,
    ).toBe(false);
    expect(evaluate(p, { ...ci, teamId: "builds" }, "secret_delete", "secrets/ci/token", NOW).allowed).toBe(
      false,
    );
    expect(evaluate(p, { ...ci, role: "agent" }, "secret_delete", "secrets/ci/token", NOW).allowed).toBe(
      false,
    );
    expect(evaluate(p, ci, "secret_delete", "secrets/ci/token2", NOW).allowed).toBe(false);
  });

  test("time windows are UTC days and [start, end) hours", () => {
    const p = policy();
    expect(evaluate(p, DEV, "credential_vend", "k", NOW).ruleId).toBe("office-hours");
    expect(evaluate(p, DEV, "credential_vend", "k", new Date("2026-11-30T17:00:00Z")).allowed).toBe(false);
    expect(evaluate(p, DEV, "credential_vend", "k", new Date("2026-11-30T08:59:59Z")).allowed).toBe(false);
    expect(evaluate(p, DEV, "credential_vend", "k", new Date("2026-12-02T10:00:00Z")).allowed).toBe(false);
  });

  test("a rate-limited rule denies without falling through, per caller, and the window slides", () => {
    const p = policy();
    const at = (s: number) => new Date(NOW.getTime() + s * 1000);
    expect(evaluate(p, DEV, "secret_write", "k", at(0)).ruleId).toBe("limited");
    expect(evaluate(p, DEV, "secret_write", "k", at(10)).ruleId).toBe("limited");
    expect(evaluate(p, DEV, "secret_write", "k", at(20))).toEqual({
      allowed: false,
      ruleId: "limited",
      reason: 'policy: rate limit exceeded for rule "limited" (max 2 per 1m0s for caller "forge-gateway")',
    });
    expect(evaluate(p, { ...DEV, callerId: "other" }, "secret_write", "k", at(20)).allowed).toBe(true);
    // Denials do not use a slot: at 61 s the first request has left the window.
    expect(evaluate(p, DEV, "secret_write", "k", at(61)).allowed).toBe(true);
  });
});
