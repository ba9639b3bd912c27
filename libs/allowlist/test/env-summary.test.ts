// What a --secure tool received, as the drop-count line, the --verbose kpm_env lines and the
// secure_env record: names, references and paths, in a fixed order.
import { describe, expect, test } from "bun:test";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  type EnvSummary,
  envRecord,
  formatDropLine,
  formatEnvRecord,
  formatEnvSummaryLines,
  openAuditLog,
} from "../src/index.ts";

const summary: EnvSummary = {
  tool: "claude",
  kms: [
    { variable: "ANTHROPIC_API_KEY", ref: "llm/anthropic" },
    { variable: "ODD", ref: "kv/a b#k" },
  ],
  template: ["APP_ENV"],
  inherited: ["GH_TOKEN", "HOME", "PATH"],
  granted: ["GH_TOKEN"],
  dropped: [
    { variable: "AWS_SECRET_ACCESS_KEY", rule: "name-prefix", reason: "r" },
    { variable: "SSH_AUTH_SOCK", rule: "agent-socket", reason: "r" },
  ],
};

describe("formatDropLine", () => {
  test("counts, or names under --verbose; nothing when nothing was dropped", () => {
    expect(formatDropLine(summary.dropped, false)).toBe(
      "kpm: --secure: dropped 2 inherited variables that look like credentials (use --verbose to name them)",
    );
    expect(formatDropLine(summary.dropped, true)).toBe(
      "kpm: --secure: dropped 2 inherited variables that look like credentials: AWS_SECRET_ACCESS_KEY, SSH_AUTH_SOCK",
    );
    expect(formatDropLine(summary.dropped.slice(0, 1), false)).toBe(
      "kpm: --secure: dropped 1 inherited variable that looks like a credential (use --verbose to name them)",
    );
    expect(formatDropLine([], true)).toBeNull();
  });
});

test("formatEnvSummaryLines: pin, drops, grants, inherited, template, kms", () => {
  expect(formatEnvSummaryLines({ ...summary, executable: "/opt/my tools/claude" })).toEqual([
    'kpm_env tool=claude exec="/opt/my tools/claude" pinned=ok',
    "kpm_env tool=claude var=AWS_SECRET_ACCESS_KEY source=inherited outcome=dropped rule=name-prefix",
    "kpm_env tool=claude var=SSH_AUTH_SOCK source=inherited outcome=dropped rule=agent-socket",
    "kpm_env tool=claude var=GH_TOKEN source=inherited outcome=granted",
    "kpm_env tool=claude source=inherited count=3 vars=GH_TOKEN,HOME,PATH",
    "kpm_env tool=claude var=APP_ENV source=template",
    "kpm_env tool=claude var=ANTHROPIC_API_KEY source=kms ref=llm/anthropic",
    'kpm_env tool=claude var=ODD source=kms ref="kv/a b#k"',
  ]);
});

test("formatEnvRecord: one NDJSON line, exec only when pinned", () => {
  const now = new Date("2026-03-04T05:06:07.089Z");
  const line = formatEnvRecord(summary, "strict", now);
  expect(line.endsWith("\n")).toBe(true);
  expect(JSON.parse(line)).toEqual({
    ts: "2026-03-04T05:06:07.089Z",
    action: "secure_env",
    tool: "claude",
    mode: "strict",
    kms: [
      { var: "ANTHROPIC_API_KEY", ref: "llm/anthropic" },
      { var: "ODD", ref: "kv/a b#k" },
    ],
    template: ["APP_ENV"],
    inherited: ["GH_TOKEN", "HOME", "PATH"],
    granted: ["GH_TOKEN"],
    dropped: [
      { var: "AWS_SECRET_ACCESS_KEY", rule: "name-prefix" },
      { var: "SSH_AUTH_SOCK", rule: "agent-socket" },
    ],
  });
  expect(JSON.parse(formatEnvRecord({ ...summary, executable: "/x" }, "default")).exec).toBe("/x");
});

test("envRecord carries the run's confinement last, and only when given", () => {
  const now = new Date("2026-03-04T05:06:07.089Z");
  expect(envRecord(summary, "default", now).confinement).toBeUndefined();
  const record = envRecord(summary, "default", now, "landlock (ABI 7)");
  expect(Object.keys(record).at(-1)).toBe("confinement");
  expect(record.confinement).toBe("landlock (ABI 7)");
});

test("an audit log stamps each decision with the run's confinement", () => {
  const dir = mkdtempSync(join(tmpdir(), "kpm-audit-confine-"));
  try {
    const path = join(dir, "audit.ndjson");
    const log = openAuditLog(path, { tool: "claude", mode: "default", confinement: "off" });
    log.record({ variable: "A", ref: "llm/anthropic", outcome: "allowed" });
    expect(JSON.parse(readFileSync(path, "utf8")).confinement).toBe("off");
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("brokered variables and the broker's variables: their own kpm_env lines and record field", () => {
  const brokered: EnvSummary = {
    ...summary,
    brokered: [
      { variable: "ANTHROPIC_API_KEY", ref: "llm/anthropic", hosts: ["api.anthropic.com", "*.x.com"] },
    ],
    brokerEnv: ["HTTPS_PROXY", "SSL_CERT_FILE"],
  };
  expect(formatEnvSummaryLines(brokered).slice(-2)).toEqual([
    "kpm_env tool=claude var=ANTHROPIC_API_KEY source=broker ref=llm/anthropic hosts=api.anthropic.com,*.x.com",
    "kpm_env tool=claude source=broker count=2 vars=HTTPS_PROXY,SSL_CERT_FILE",
  ]);
  expect(envRecord(brokered, "default").brokered).toEqual([
    { var: "ANTHROPIC_API_KEY", ref: "llm/anthropic", hosts: ["api.anthropic.com", "*.x.com"] },
  ]);
  expect(envRecord(summary, "default").brokered).toBeUndefined();
});
