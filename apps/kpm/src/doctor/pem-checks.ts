// Doctor: the CA, client certificate and client key files — each parses, dates, the key belongs to
// the certificate, the certificate comes from the CA, the key is private. Facts come from
// @kpm/agentkms-client/diagnose; this file decides severity and words the fix.
import type { CertificateFacts, Inspected, TlsInspection } from "@kpm/agentkms-client/diagnose";
import type { KpmContext } from "../context.ts";
import { type CheckResult, type DoctorCheck, type DoctorState, inDays, isoDay, result } from "./check.ts";
import { isDevCa, renewFix } from "./dev-hints.ts";

/** Certificates that expire within this many days are a warning (`!`), not yet a failure. */
export const EXPIRY_WARNING_DAYS = 30;

type Paths = { ca: string; cert: string; key: string };

export const checkPemFiles: DoctorCheck = async (ctx, state) => {
  const settings = state.settings;
  const paths = { ca: settings?.ca, cert: settings?.cert, key: settings?.key };
  if (!paths.ca && !paths.cert && !paths.key) {
    return [result("pem", "PEM files", "skipped", `not checked — ${state.settingsProblem ?? "none set"}`)];
  }
  if (!paths.ca || !paths.cert || !paths.key) {
    const unset = (["ca", "cert", "key"] as const).filter((name) => !paths[name]);
    return [result("pem", "PEM files", "skipped", `not checked — no ${unset.join(", ")} set`)];
  }
  const { inspectTlsMaterial } = await import("@kpm/agentkms-client/diagnose");
  const inspection = inspectTlsMaterial(paths as Paths);
  const key = inspection.key;
  state.identityUsable = inspection.ca.ok && inspection.cert.ok && key.ok && key.facts.matchesCert === true;
  return [
    caLine(state, paths as Paths, inspection),
    certLine(ctx, state, paths as Paths, inspection),
    keyLine(state, paths as Paths, inspection),
  ];
};

/** Not yet valid, expired, or expiring soon; undefined when the dates are fine. */
function validity(facts: CertificateFacts): { status: "fail" | "warn"; detail: string } | undefined {
  if (facts.notYetValid) return { status: "fail", detail: `not valid until ${isoDay(facts.notBefore)}` };
  if (facts.expired) return { status: "fail", detail: `expired on ${isoDay(facts.notAfter)}` };
  if (facts.daysLeft < EXPIRY_WARNING_DAYS) {
    return { status: "warn", detail: `expires ${inDays(facts.daysLeft)} (${isoDay(facts.notAfter)})` };
  }
  return undefined;
}

function expiry(facts: CertificateFacts): string {
  return `expires ${inDays(facts.daysLeft)} (${isoDay(facts.notAfter)})`;
}

/** `CN=…` when the subject has one: the name people know a certificate by. */
function nameOf(facts: CertificateFacts): string {
  return facts.subject.split(", ").find((part) => part.startsWith("CN=")) ?? facts.subject;
}

const CLOCK_FIX = "check this machine's clock (timedatectl)";

function caLine(state: DoctorState, paths: Paths, inspection: TlsInspection): CheckResult {
  const label = `CA ${paths.ca}`;
  const ca = inspection.ca;
  if (!ca.ok) {
    return result(
      "ca",
      label,
      "fail",
      ca.problem,
      `set ca: in ${state.configPath} to your AgentKMS CA certificate`,
    );
  }
  // The bundle is as good as its first certificate to expire.
  const first = [...ca.facts].sort(
    (a, b) => a.notAfter.getTime() - b.notAfter.getTime(),
  )[0] as CertificateFacts;
  const what = ca.facts.length === 1 ? nameOf(first) : `${ca.facts.length} certificates`;
  const problem = validity(first);
  if (problem) {
    const fix = first.notYetValid
      ? CLOCK_FIX
      : isDevCa(first.subject)
        ? "kpm dev enroll --force re-creates the dev PKI (dev secrets stored so far become unreadable)"
        : "get the current CA certificate from your AgentKMS admin";
    return result("ca", label, problem.status, `${what}: ${problem.detail}`, fix);
  }
  return result("ca", label, "ok", `${what}, ${expiry(first)}`);
}

function certLine(ctx: KpmContext, state: DoctorState, paths: Paths, inspection: TlsInspection): CheckResult {
  const label = `client cert ${paths.cert}`;
  const cert = inspection.cert;
  if (!cert.ok) {
    return result(
      "cert",
      label,
      "fail",
      cert.problem,
      `set cert: in ${state.configPath} to your client certificate`,
    );
  }
  const facts = cert.facts;
  const fromDevCa = caSubjects(inspection.ca).some(isDevCa);
  const problem = validity(facts);
  if (problem?.status === "fail") {
    const fix = facts.notYetValid ? CLOCK_FIX : renewFix(ctx, paths.cert, fromDevCa);
    state.certDatesFix = fix;
    return result("cert", label, "fail", `${nameOf(facts)}: ${problem.detail}`, fix);
  }
  if (facts.issuedByCa === false) {
    return result(
      "cert",
      label,
      "warn",
      `${nameOf(facts)}: not issued by the CA in ${paths.ca} (fine only if the server trusts another CA)`,
      `point ca: and cert: in ${state.configPath} at files of the same AgentKMS`,
    );
  }
  if (problem) {
    return result(
      "cert",
      label,
      "warn",
      `${nameOf(facts)}: ${problem.detail}`,
      renewFix(ctx, paths.cert, fromDevCa),
    );
  }
  const issued = facts.issuedByCa ? "issued by the CA, " : "";
  return result("cert", label, "ok", `${nameOf(facts)}, ${issued}${expiry(facts)}`);
}

function caSubjects(ca: Inspected<CertificateFacts[]>): string[] {
  return ca.ok ? ca.facts.map((facts) => facts.subject) : [];
}

function keyLine(state: DoctorState, paths: Paths, inspection: TlsInspection): CheckResult {
  const label = `client key ${paths.key}`;
  const key = inspection.key;
  const matchFix = `set key: in ${state.configPath} to the private key of ${paths.cert}`;
  if (!key.ok) return result("key", label, "fail", key.problem, matchFix);
  const { type, matchesCert, mode } = key.facts;
  if (matchesCert === false) {
    return result("key", label, "fail", `${type} key does not match the client cert ${paths.cert}`, matchFix);
  }
  const modeText = `mode ${mode.toString(8).padStart(4, "0")}`;
  if (process.platform !== "win32" && (mode & 0o077) !== 0) {
    return result("key", label, "warn", `readable by other users (${modeText})`, `chmod 600 ${paths.key}`);
  }
  const match = matchesCert ? "matches the client cert" : "not compared: the client cert is unusable";
  return result("key", label, "ok", `${type}, ${match}, ${modeText}`);
}
