// What a --secure tool received (docs/security.md, "Inherited environment"): the drop-count line,
// the --verbose `kpm_env` lines and the `secure_env` NDJSON record. Names, references and paths
// only: a value never reaches any of them.

import { referenceToken } from "./audit-line.ts";
import { type AuditMode, serializeAuditRecord } from "./audit-record.ts";
import type { InheritDrop } from "./inherit-policy.ts";

export interface EnvSummary {
  tool: string;
  /** KMS variables the tool received, with the reference each came from. */
  kms: Array<{ variable: string; ref: string }>;
  /** Plain template entries (`KEY=value`). */
  template: string[];
  /** Inherited variables the tool kept (base set, granted, and those that look like nothing). */
  inherited: string[];
  /** Among `inherited`: kept only because the allow-list grants them. */
  granted: string[];
  dropped: InheritDrop[];
  /** The real path executed, when the tool is pinned. */
  executable?: string | undefined;
  /** Brokered variables (docs/broker.md): the tool holds a placeholder for each. */
  brokered?: Array<{ variable: string; ref: string; hosts: string[] }>;
  /** The proxy and CA bundle variables the broker set. */
  brokerEnv?: string[];
}

/** One line for stderr, or null when nothing was dropped; `verbose` names the variables. */
export function formatDropLine(dropped: readonly InheritDrop[], verbose: boolean): string | null {
  if (dropped.length === 0) return null;
  const what =
    dropped.length === 1
      ? "1 inherited variable that looks like a credential"
      : `${dropped.length} inherited variables that look like credentials`;
  const names = dropped.map((drop) => drop.variable).join(", ");
  return verbose
    ? `kpm: --secure: dropped ${what}: ${names}`
    : `kpm: --secure: dropped ${what} (use --verbose to name them)`;
}

/** The --verbose lines, in the order the tool's environment was built. */
export function formatEnvSummaryLines(summary: EnvSummary): string[] {
  const head = `kpm_env tool=${summary.tool}`;
  const lines: string[] = [];
  if (summary.executable !== undefined)
    lines.push(`${head} exec=${referenceToken(summary.executable)} pinned=ok`);
  for (const drop of summary.dropped)
    lines.push(`${head} var=${drop.variable} source=inherited outcome=dropped rule=${drop.rule}`);
  for (const name of summary.granted) lines.push(`${head} var=${name} source=inherited outcome=granted`);
  lines.push(
    `${head} source=inherited count=${summary.inherited.length} vars=${summary.inherited.join(",")}`,
  );
  for (const name of summary.template) lines.push(`${head} var=${name} source=template`);
  for (const entry of summary.kms)
    lines.push(`${head} var=${entry.variable} source=kms ref=${referenceToken(entry.ref)}`);
  for (const entry of summary.brokered ?? [])
    lines.push(
      `${head} var=${entry.variable} source=broker ref=${referenceToken(entry.ref)} hosts=${entry.hosts.join(",")}`,
    );
  if (summary.brokerEnv !== undefined && summary.brokerEnv.length > 0)
    lines.push(`${head} source=broker count=${summary.brokerEnv.length} vars=${summary.brokerEnv.join(",")}`);
  return lines;
}

/** The `secure_env` audit record: names, references and the executed path; never a value. */
export interface EnvRecord {
  ts: string;
  action: "secure_env";
  tool: string;
  mode: AuditMode;
  kms: Array<{ var: string; ref: string }>;
  template: string[];
  inherited: string[];
  granted: string[];
  dropped: Array<{ var: string; rule: string }>;
  exec?: string;
  brokered?: Array<{ var: string; ref: string; hosts: string[] }>;
  /** How the tool was confined, as on each decision record. */
  confinement?: string;
}

/** What the tool received, as its audit record. */
export function envRecord(
  summary: EnvSummary,
  mode: AuditMode,
  now: Date = new Date(),
  confinement?: string,
): EnvRecord {
  const record: EnvRecord = {
    ts: now.toISOString(),
    action: "secure_env",
    tool: summary.tool,
    mode,
    kms: summary.kms.map((entry) => ({ var: entry.variable, ref: entry.ref })),
    template: summary.template,
    inherited: summary.inherited,
    granted: summary.granted,
    dropped: summary.dropped.map((drop) => ({ var: drop.variable, rule: drop.rule })),
  };
  if (summary.executable !== undefined) record.exec = summary.executable;
  if (summary.brokered !== undefined && summary.brokered.length > 0)
    record.brokered = summary.brokered.map((entry) => ({
      var: entry.variable,
      ref: entry.ref,
      hosts: entry.hosts,
    }));
  if (confinement !== undefined) record.confinement = confinement;
  return record;
}

/** The `secure_env` NDJSON line (with its newline). */
export function formatEnvRecord(summary: EnvSummary, mode: AuditMode, now: Date = new Date()): string {
  return serializeAuditRecord(envRecord(summary, mode, now));
}
