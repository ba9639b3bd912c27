import { describe, expect, test } from "bun:test";
import { createHash } from "node:crypto";
import {
  certificateFingerprint,
  identityFromCertificate,
  roleFromOu,
  uriSubjectAltNames,
} from "../src/identity.ts";

const RAW = new Uint8Array([1, 2, 3]);
const FP = createHash("sha256").update(RAW).digest("hex");

describe("identityFromCertificate", () => {
  test("the dev client certificate maps to forge-gateway / AgentKMS Dev / developer", () => {
    const identity = identityFromCertificate({
      subject: { CN: " forge-gateway ", O: "AgentKMS Dev", OU: ["team:forge", "caller:forge-gateway"] },
      subjectaltname: "URI:spiffe://agentkms.dev/team/forge/identity/forge-gateway",
      raw: RAW,
    });
    expect(identity).toEqual({
      callerId: "forge-gateway",
      teamId: "AgentKMS Dev",
      role: "developer",
      callerOu: "team:forge",
      spiffeId: "spiffe://agentkms.dev/team/forge/identity/forge-gateway",
      certFingerprint: FP,
    });
  });

  test("roles: first OU case-insensitively, unknown → developer, no OU → service with SPIFFE", () => {
    expect(roleFromOu(" Service ", false)).toBe("service");
    expect(roleFromOu("AGENT", false)).toBe("agent");
    expect(roleFromOu("developer", true)).toBe("developer");
    expect(roleFromOu("team:forge", true)).toBe("developer");
    expect(roleFromOu(undefined, true)).toBe("service");
    expect(roleFromOu(undefined, false)).toBe("developer");
  });

  test("team falls back to the SPIFFE id: agentkms.org team or k8s namespace", () => {
    const team = (san: string) =>
      identityFromCertificate({ subject: { CN: "c" }, subjectaltname: san, raw: RAW })?.teamId ?? null;
    expect(team("URI:spiffe://agentkms.org/team/payments/svc")).toBe("payments");
    expect(team("DNS:x, URI:spiffe://cluster.local/ns/prod/sa/api")).toBe("k8s-prod");
    expect(team("URI:spiffe://agentkms.dev/team/forge/identity/c")).toBeNull();
    expect(team("DNS:localhost")).toBeNull();
  });

  test("an empty CN, no raw certificate, or no team is refused", () => {
    expect(identityFromCertificate({ subject: { CN: "  ", O: "o" }, raw: RAW })).toBeNull();
    expect(identityFromCertificate({ subject: { CN: "c", O: "o" } })).toBeNull();
    expect(identityFromCertificate({ subject: { CN: "c", O: " " }, raw: RAW })).toBeNull();
    expect(identityFromCertificate({ raw: RAW })).toBeNull();
  });

  test("URI SANs: only URI entries, quoted ones unquoted, broken quoting skipped", () => {
    expect(uriSubjectAltNames(undefined)).toEqual([]);
    expect(uriSubjectAltNames('DNS:a, URI:spiffe://x/y, URI:"spiffe://q", URI:"bad')).toEqual([
      "spiffe://x/y",
      "spiffe://q",
      '"bad',
    ]);
    expect(uriSubjectAltNames('URI:"spiffe://\\q"')).toEqual([]);
    expect(certificateFingerprint(RAW)).toBe(FP);
  });
});
