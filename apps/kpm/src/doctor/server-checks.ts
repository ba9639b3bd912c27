// Doctor: the server, layer by layer — reachable, mTLS handshake, a session from POST /auth/session,
// and the clock against the server's. A layer that cannot be tried says why in one line.
import type { ProbeStep, ServerProbe } from "@kpm/agentkms-client/diagnose";
import { devDirOfClientFile } from "@kpm/agentkms-dev/dev-dir";
import type { KpmContext } from "../context.ts";
import { type CheckResult, type DoctorCheck, type DoctorState, result } from "./check.ts";
import { renewFix, startFix } from "./dev-hints.ts";

/** Clocks further apart than this are a warning: certificate dates and token lifetimes assume ~one clock. */
export const CLOCK_SKEW_WARNING_SECONDS = 60;

type Failed = Extract<ProbeStep, { ok: false }>;

export const checkServer: DoctorCheck = async (ctx, state) => {
  const settings = state.settings;
  if (state.settingsProblem !== undefined || !settings?.server) {
    return [
      result("server", "server", "skipped", `not checked — ${state.settingsProblem ?? "no server set"}`),
    ];
  }
  const server = settings.server;
  const label = `server ${server}`;
  if (!state.identityUsable || !settings.cert || !settings.key || !settings.ca) {
    return [result("server", label, "skipped", "not checked — the PEM files above are not usable")];
  }
  const [{ probeServer }, { version }] = await Promise.all([
    import("@kpm/agentkms-client/diagnose"),
    import("../version.ts"),
  ]);
  const probe = await probeServer({
    server,
    cert: settings.cert,
    key: settings.key,
    ca: settings.ca,
    userAgent: `kpm/${version}`,
  });
  return serverLines(ctx, state, label, probe);
};

function serverLines(ctx: KpmContext, state: DoctorState, label: string, probe: ServerProbe): CheckResult[] {
  const settings = state.settings ?? {};
  const server = settings.server ?? "";
  if (!probe.reach.ok) {
    return [
      result("server", label, "fail", probe.reach.reason, reachFix(ctx, state, probe.reach)),
      result("tls", "TLS, auth, clock", "skipped", "not checked — the server is not reachable"),
    ];
  }
  const lines = [result("server", label, "ok", "reachable")];
  if (probe.tls === undefined || !probe.tls.ok) {
    const failed = probe.tls ?? { ok: false, reason: "not tried", cause: "other" };
    lines.push(result("tls", "TLS", "fail", failed.reason, tlsFix(ctx, state, failed)));
    lines.push(result("auth", "auth, clock", "skipped", "not checked — no TLS connection"));
    return lines;
  }
  lines.push(
    result("tls", "TLS", "ok", `TLS 1.3; server verified with ${settings.ca}, client certificate accepted`),
  );
  if (probe.auth === undefined || !probe.auth.ok) {
    const failed = probe.auth ?? { ok: false, reason: "not tried", cause: "other" };
    lines.push(result("auth", "auth", "fail", failed.reason, authFix(failed, server)));
  } else {
    lines.push(result("auth", "auth", "ok", "POST /auth/session issued a session token"));
  }
  lines.push(clockLine(probe.clockSkewSeconds));
  return lines;
}

export function clockLine(skew: number | undefined): CheckResult {
  if (skew === undefined)
    return result("clock", "clock", "skipped", "not compared — the server sent no Date header");
  const distance = Math.abs(skew);
  if (distance <= CLOCK_SKEW_WARNING_SECONDS) {
    return result("clock", "clock", "ok", `within ${Math.max(distance, 1)} s of the server`);
  }
  // skew = server − local: a positive skew means this machine is behind.
  const side = skew > 0 ? "behind" : "ahead of";
  return result(
    "clock",
    "clock",
    "warn",
    `this machine is ${distance} s ${side} the server`,
    "sync the clock (timedatectl set-ntp true)",
  );
}

function reachFix(ctx: KpmContext, state: DoctorState, failed: Failed): string {
  const { server, cert } = state.settings ?? {};
  const url = server ?? "";
  switch (failed.cause) {
    case "unresolved":
      return `correct the host in server: of ${state.configPath}`;
    case "timeout":
      return `check that ${new URL(url).host} is reachable from here (firewall, VPN)`;
    default:
      return startFix(ctx, url, state.configPath, cert);
  }
}

function tlsFix(ctx: KpmContext, state: DoctorState, failed: Failed): string {
  const { cert, ca } = state.settings ?? {};
  const devDir = devDirOfClientFile(cert) ?? devDirOfClientFile(ca);
  const devCa = devDir === undefined ? "" : ` (dev server: ${devDir}/ca.crt)`;
  switch (failed.cause) {
    case "untrusted-server":
      return `set ca: in ${state.configPath} to the CA that issued the server's certificate${devCa}`;
    case "handshake":
      // An out-of-date client certificate was reported above: that is why the server refused it.
      if (state.certDatesFix !== undefined) return state.certDatesFix;
      return "use a client certificate issued by the server's CA, and check that server: names a TLS 1.3 port";
    case "expired":
      // The client certificate was found valid above: the server's has expired.
      return devDir === undefined ? "renew the server's certificate" : renewFix(ctx, cert ?? "", true);
    case "host-mismatch":
      return `use the host name the server's certificate was issued for in server: of ${state.configPath}`;
    case "timeout":
      return "check that server: names an AgentKMS (TLS) port";
    default:
      return `check server:, cert:, key: and ca: in ${state.configPath}`;
  }
}

function authFix(failed: Failed, server: string): string {
  if (failed.cause !== "http") return `check the AgentKMS logs at ${server}`;
  switch (failed.status) {
    case 401:
      return "the server did not take the client certificate as an identity; check its ClientAuth setting";
    case 403:
      return "the server's policy denies this identity; ask your AgentKMS admin";
    case 404:
      return "upgrade AgentKMS (kpm needs POST /auth/session)";
    default:
      return `check the AgentKMS logs at ${server}`;
  }
}
