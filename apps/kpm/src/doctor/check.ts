// The shape of a `kpm doctor` check and its results. A check reports facts and a fix; it never
// prints, and never puts a secret value or key material into a detail.
import type { ClientSettings, KpmContext } from "../context.ts";

/** ok and warn pass; fail makes `kpm doctor` exit 1; skipped could not run (an earlier check failed). */
export type CheckStatus = "ok" | "warn" | "fail" | "skipped";

export interface CheckResult {
  /** Stable name for scripts: config, pem, ca, cert, key, server, tls, auth, clock, listener, allowlist, trust. */
  id: string;
  /** What was checked, as printed: `client cert /path`, `server https://…`. */
  check: string;
  status: CheckStatus;
  detail: string;
  /** A command or action that repairs it. */
  fix?: string;
}

/** What later checks need from earlier ones. */
export interface DoctorState {
  /** The effective config file path. */
  configPath: string;
  /** Flags over config; undefined when the config could not be read at all. */
  settings?: Partial<ClientSettings>;
  /** Why the settings are unusable, for the checks that need them ("no config", …). */
  settingsProblem?: string;
  /** The PEM files form an identity a TLS handshake can use. */
  identityUsable: boolean;
  /** The fix for a client certificate that is out of date, when it is: the server will refuse it. */
  certDatesFix?: string;
}

/** One entry of the doctor's list: it reads the state, may add to it, and returns its lines. */
export type DoctorCheck = (ctx: KpmContext, state: DoctorState) => Promise<CheckResult[]>;

export function result(
  id: string,
  check: string,
  status: CheckStatus,
  detail: string,
  fix?: string,
): CheckResult {
  return fix === undefined ? { id, check, status, detail } : { id, check, status, detail, fix };
}

/** `in 3 days`, `today`, `in 1 day`. */
export function inDays(days: number): string {
  if (days <= 0) return "today";
  return days === 1 ? "in 1 day" : `in ${days} days`;
}

/** YYYY-MM-DD (UTC), how kpm prints certificate dates. */
export function isoDay(date: Date): string {
  return date.toISOString().slice(0, 10);
}
