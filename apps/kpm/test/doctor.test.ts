// kpm doctor's pieces in-process: line and JSON rendering, the exit rule (only a failure fails),
// the clock verdicts, and a check that throws becoming a finding while the others still run.
import { describe, expect, test } from "bun:test";
import { createLogger } from "../src/cli/logger.ts";
import { KpmContext } from "../src/context.ts";
import { type CheckResult, inDays, result } from "../src/doctor/check.ts";
import { renderJson, renderLine } from "../src/doctor/render.ts";
import { doctorExitCode, runDoctor } from "../src/doctor/run-checks.ts";
import { CLOCK_SKEW_WARNING_SECONDS, clockLine } from "../src/doctor/server-checks.ts";

const ok = result("config", "config /c.yaml", "ok", "server https://x");
const warn = result("cert", "client cert /c.crt", "warn", "expires in 3 days", "kpm dev enroll --renew");
const fail = result("server", "server https://x", "fail", "connection refused", "kpm dev serve --detach");
const skipped = result("tls", "TLS", "skipped", "not checked — the server is not reachable");

describe("doctor output", () => {
  test("one line per result: mark, what, detail, and the fix after an em dash", () => {
    expect([ok, warn, fail, skipped].map(renderLine)).toEqual([
      "✓ config /c.yaml: server https://x",
      "! client cert /c.crt: expires in 3 days — fix: kpm dev enroll --renew",
      "✗ server https://x: connection refused — fix: kpm dev serve --detach",
      "- TLS: not checked — the server is not reachable",
    ]);
  });

  test("JSON: ok is true for passing checks and warnings; fix only when there is one", () => {
    expect(JSON.parse(renderJson([ok, warn, fail, skipped]))).toEqual([
      { id: "config", check: "config /c.yaml", ok: true, status: "ok", detail: "server https://x" },
      {
        id: "cert",
        check: "client cert /c.crt",
        ok: true,
        status: "warn",
        detail: "expires in 3 days",
        fix: "kpm dev enroll --renew",
      },
      {
        id: "server",
        check: "server https://x",
        ok: false,
        status: "fail",
        detail: "connection refused",
        fix: "kpm dev serve --detach",
      },
      {
        id: "tls",
        check: "TLS",
        ok: false,
        status: "skipped",
        detail: "not checked — the server is not reachable",
      },
    ]);
  });

  test("exit 1 only when something failed; warnings and skipped checks alone exit 0", () => {
    expect(doctorExitCode([ok, warn, skipped])).toBe(0);
    expect(doctorExitCode([ok, warn, fail])).toBe(1);
    expect(doctorExitCode([])).toBe(0);
  });

  test("days read as today, in 1 day, in N days", () => {
    expect([0, -1, 1, 2, 365].map(inDays)).toEqual([
      "today",
      "today",
      "in 1 day",
      "in 2 days",
      "in 365 days",
    ]);
  });
});

describe("clock", () => {
  test("within the limit passes; beyond it warns which side is behind; no Date header is skipped", () => {
    expect(renderLine(clockLine(0))).toBe("✓ clock: within 1 s of the server");
    expect(renderLine(clockLine(-CLOCK_SKEW_WARNING_SECONDS))).toBe("✓ clock: within 60 s of the server");
    expect(renderLine(clockLine(120))).toBe(
      "! clock: this machine is 120 s behind the server — fix: sync the clock (timedatectl set-ntp true)",
    );
    expect(renderLine(clockLine(-61))).toBe(
      "! clock: this machine is 61 s ahead of the server — fix: sync the clock (timedatectl set-ntp true)",
    );
    expect(clockLine(undefined).status).toBe("skipped");
  });
});

describe("runDoctor", () => {
  test("a check that throws is reported as a failure and the later checks still run", async () => {
    const ctx = new KpmContext(
      "doctor",
      { verbose: false },
      { HOME: "/nonexistent" },
      "/",
      createLogger(false),
    );
    const seen: string[] = [];
    const results: CheckResult[] = await runDoctor(ctx, [
      {
        id: "first",
        run: async () => {
          throw new Error("boom");
        },
      },
      {
        id: "second",
        run: async (_ctx, state) => {
          seen.push(state.configPath);
          return [result("second", "second", "ok", "ran")];
        },
      },
    ]);
    expect(results.map(renderLine)).toEqual([
      "✗ first: check failed: boom — fix: run with --verbose and report it",
      "✓ second: ran",
    ]);
    expect(seen).toEqual(["config.yaml"]);
  });
});
