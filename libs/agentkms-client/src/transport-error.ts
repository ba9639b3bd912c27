// Maps what Bun's fetch throws to the transport reasons of kpm-cli.md §6.5. The runtime's own message
// is never shown. Error codes below were observed on Bun 1.4.5 against node:tls test servers.
import { AgentKmsError } from "./errors.ts";

export interface TransportContext {
  server: string;
  host: string;
  caPath: string;
  timeoutMs: number;
  /** Whether this client has had any HTTP answer yet (see ECONNRESET below). */
  answeredBefore: boolean;
}

const untrustedServerCodes = new Set([
  "UNABLE_TO_VERIFY_LEAF_SIGNATURE",
  "SELF_SIGNED_CERT_IN_CHAIN",
  "DEPTH_ZERO_SELF_SIGNED_CERT",
  "UNABLE_TO_GET_ISSUER_CERT",
  "UNABLE_TO_GET_ISSUER_CERT_LOCALLY",
  "CERT_UNTRUSTED",
  "CERT_SIGNATURE_FAILURE",
  "CERT_CHAIN_TOO_LONG",
  "INVALID_CA",
]);

const handshakeCodes = new Set(["EPROTO", "ERR_SSL_WRONG_VERSION_NUMBER", "ERR_SSL_HANDSHAKE_FAILURE"]);

const tlsHandshakeFailed =
  "TLS handshake failed (client certificate rejected, TLS version < 1.3, or not a TLS port)";

function errorCode(error: unknown): string | undefined {
  if (typeof error !== "object" || error === null) return undefined;
  const code = (error as { code?: unknown }).code;
  return typeof code === "string" && code !== "" ? code : undefined;
}

function errorName(error: unknown): string | undefined {
  return error instanceof Error ? error.name : undefined;
}

/** Seconds as kpm prints them: `10s`, `0.5s`. */
function formatSeconds(milliseconds: number): string {
  return `${Number((milliseconds / 1000).toFixed(3))}s`;
}

/** Nothing listens, or nothing answered in time: the server is not (yet) up. */
export function isUnreachable(error: unknown): boolean {
  return errorName(error) === "TimeoutError" || errorCode(error) === "ECONNREFUSED";
}

export function transportReason(error: unknown, context: TransportContext): string {
  switch (transportCause(error, context.answeredBefore)) {
    case "timeout":
      return `timed out after ${formatSeconds(context.timeoutMs)}`;
    case "refused":
      return `connection refused (${context.server}) — is AgentKMS running?`;
    case "unresolved":
      return `cannot resolve host ${context.host}`;
    case "expired":
      return "a certificate has expired (server or client); renew it (kpm dev enroll --renew for the dev server)";
    case "host-mismatch":
      return `server certificate does not match host ${context.host}`;
    case "handshake":
      return tlsHandshakeFailed;
    case "untrusted-server":
      return `server certificate is not signed by the configured CA (${context.caPath})`;
    default:
      return `connection failed: ${errorCode(error) ?? errorName(error) ?? "unknown error"}`;
  }
}

export function transportError(op: string, error: unknown, context: TransportContext): AgentKmsError {
  return new AgentKmsError("transport", `${op}: ${transportReason(error, context)}`);
}

/** The kind of fault transportReason words, for callers that suggest a fix (`kpm doctor`). */
export type TransportCause =
  | "timeout"
  | "refused"
  | "unresolved"
  | "expired"
  | "host-mismatch"
  | "handshake"
  | "untrusted-server"
  | "other";

export function transportCause(error: unknown, answeredBefore: boolean): TransportCause {
  if (errorName(error) === "TimeoutError") return "timeout";
  const code = errorCode(error);
  if (code === "ECONNREFUSED") return "refused";
  if (code === "ENOTFOUND") return "unresolved";
  if (code === "CERT_HAS_EXPIRED") return "expired";
  if (code === "ERR_TLS_CERT_ALTNAME_INVALID") return "host-mismatch";
  // TLS 1.3 servers check the client certificate after the client considers the handshake done,
  // so a rejected certificate arrives as a reset on the first request. Later resets are just resets.
  if (code === "ECONNRESET") return answeredBefore ? "other" : "handshake";
  if (code !== undefined && handshakeCodes.has(code)) return "handshake";
  if (code !== undefined && untrustedServerCodes.has(code)) return "untrusted-server";
  return "other";
}
