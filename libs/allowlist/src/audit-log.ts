// The --secure audit log file (§9.4): opened (created 0600, and narrowed to 0600 if it was wider)
// before any secret is fetched, so an unusable log stops the run; then one NDJSON line per record.
import { appendFileSync, chmodSync, closeSync, openSync, writeSync } from "node:fs";
import { describeFsError } from "@kpm/bounded-read";
import { AllowlistError } from "./allowlist-error.ts";
import type { AuditEvent } from "./audit-line.ts";
import { type AuditMode, type AuditRecord, decisionRecord, serializeAuditRecord } from "./audit-record.ts";

export interface AuditLog {
  readonly path: string;
  /** Appends one decision about a variable of this run. */
  record(event: AuditEvent): void;
  /** Appends any record as is. */
  append(record: AuditRecord): void;
  /**
   * A sink holding the log open, for records written after the tool starts: its confinement can
   * cover kpm's own thread (an open file stays writable). Closed by the caller.
   */
  openSink(): { append(record: AuditRecord): void; close(): void };
}

/** Opens the log for one run of `tool`; AllowlistError "audit_log" when it cannot be opened. */
export function openAuditLog(
  path: string,
  run: { tool: string; mode: AuditMode; confinement?: string | undefined },
): AuditLog {
  try {
    closeSync(openSync(path, "a", 0o600));
    chmodSync(path, 0o600);
  } catch (error) {
    throw new AllowlistError("audit_log", `kpm: cannot open audit log ${path}: ${describeFsError(error)}`);
  }
  const append = (record: AuditRecord) => appendFileSync(path, serializeAuditRecord(record));
  const openSink = () => {
    const fd = openSync(path, "a", 0o600);
    return {
      append: (record: AuditRecord) => {
        writeSync(fd, serializeAuditRecord(record));
      },
      close: () => closeSync(fd),
    };
  };
  return {
    path,
    append,
    openSink,
    record: (event) =>
      append(
        decisionRecord({ ...event, confinement: event.confinement ?? run.confinement }, run.tool, run.mode),
      ),
  };
}
