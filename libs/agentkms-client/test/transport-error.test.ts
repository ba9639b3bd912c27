import { describe, expect, test } from "bun:test";
import { isUnreachable, transportCause, transportError, transportReason } from "../src/transport-error.ts";

const context = {
  server: "https://127.0.0.1:8443",
  host: "127.0.0.1",
  caPath: "/etc/kpm/ca.crt",
  timeoutMs: 10_000,
  answeredBefore: false,
};

function runtimeError(code: string, message = "raw runtime text"): Error {
  return Object.assign(new TypeError(message), { code });
}

describe("transportReason", () => {
  test("a timeout names the configured seconds", () => {
    const timeout = new DOMException("The operation timed out.", "TimeoutError");
    expect(transportReason(timeout, context)).toBe("timed out after 10s");
    expect(transportReason(timeout, { ...context, timeoutMs: 1500 })).toBe("timed out after 1.5s");
  });

  test("untrusted-chain codes all name the CA file", () => {
    for (const code of [
      "SELF_SIGNED_CERT_IN_CHAIN",
      "DEPTH_ZERO_SELF_SIGNED_CERT",
      "UNABLE_TO_GET_ISSUER_CERT_LOCALLY",
    ]) {
      expect(transportReason(runtimeError(code), context)).toBe(
        "server certificate is not signed by the configured CA (/etc/kpm/ca.crt)",
      );
    }
  });

  test("a reset before any answer is a handshake failure; after answers it is just a reset", () => {
    expect(transportReason(runtimeError("ECONNRESET"), context)).toStartWith("TLS handshake failed");
    expect(transportReason(runtimeError("ECONNRESET"), { ...context, answeredBefore: true })).toBe(
      "connection failed: ECONNRESET",
    );
  });

  test("anything else shows only the short code, never the runtime's message", () => {
    const reason = transportReason(runtimeError("EHOSTUNREACH", "secret-ish runtime detail"), context);
    expect(reason).toBe("connection failed: EHOSTUNREACH");
    expect(transportReason(new RangeError("detail"), context)).toBe("connection failed: RangeError");
    expect(transportReason("thrown string", context)).toBe("connection failed: unknown error");
  });

  test("transportError prefixes the op", () => {
    const error = transportError("fetch generic/db/prod", runtimeError("ECONNREFUSED"), context);
    expect(error.message).toBe(
      "fetch generic/db/prod: connection refused (https://127.0.0.1:8443) — is AgentKMS running?",
    );
    expect(error.code).toBe("transport");
  });
});

test("isUnreachable is true only for refused connections and timeouts", () => {
  expect(isUnreachable(runtimeError("ECONNREFUSED"))).toBe(true);
  expect(isUnreachable(new DOMException("t", "TimeoutError"))).toBe(true);
  expect(isUnreachable(runtimeError("EPROTO"))).toBe(false);
  expect(isUnreachable(null)).toBe(false);
});

test("transportCause names the kind of fault each reason words", () => {
  const causes = Object.fromEntries(
    [
      "ECONNREFUSED",
      "ENOTFOUND",
      "CERT_HAS_EXPIRED",
      "ERR_TLS_CERT_ALTNAME_INVALID",
      "ECONNRESET",
      "ERR_SSL_WRONG_VERSION_NUMBER",
      "UNABLE_TO_VERIFY_LEAF_SIGNATURE",
      "EHOSTUNREACH",
    ].map((code) => [code, transportCause(runtimeError(code), false)]),
  );
  expect(causes).toEqual({
    ECONNREFUSED: "refused",
    ENOTFOUND: "unresolved",
    CERT_HAS_EXPIRED: "expired",
    ERR_TLS_CERT_ALTNAME_INVALID: "host-mismatch",
    ECONNRESET: "handshake",
    ERR_SSL_WRONG_VERSION_NUMBER: "handshake",
    UNABLE_TO_VERIFY_LEAF_SIGNATURE: "untrusted-server",
    EHOSTUNREACH: "other",
  });
  expect(transportCause(runtimeError("ECONNRESET"), true)).toBe("other");
  expect(transportCause(new DOMException("t", "TimeoutError"), false)).toBe("timeout");
  // Every cause but "other" has its own reason text.
  expect(transportReason(runtimeError("CERT_HAS_EXPIRED"), context)).toStartWith("a certificate has expired");
  expect(transportReason(runtimeError("ENOTFOUND"), context)).toBe("cannot resolve host 127.0.0.1");
  expect(transportReason(runtimeError("ERR_TLS_CERT_ALTNAME_INVALID"), context)).toBe(
    "server certificate does not match host 127.0.0.1",
  );
});
