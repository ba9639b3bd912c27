// Who is calling, derived from the verified client certificate exactly as AgentKMS does (wire §2.2).
import { createHash } from "node:crypto";

export type Role = "developer" | "service" | "agent";

export interface Identity {
  callerId: string;
  teamId: string;
  role: Role;
  /** First OU as written; audit only. */
  callerOu: string;
  spiffeId: string;
  /** Lowercase hex SHA-256 of the leaf certificate's DER. */
  certFingerprint: string;
}

/** The parts of node:tls' PeerCertificate we read; OU and O are a string for one value, an array for several. */
export interface PeerCertificateLike {
  subject?: Record<string, string | string[] | undefined>;
  subjectaltname?: string;
  raw?: Uint8Array;
}

function firstValue(value: string | string[] | undefined): string | undefined {
  if (value === undefined) return undefined;
  return Array.isArray(value) ? value[0] : value;
}

export function certificateFingerprint(der: Uint8Array): string {
  return createHash("sha256").update(der).digest("hex");
}

/** URI SANs from node's `subjectaltname` text, e.g. `DNS:localhost, URI:spiffe://…`. */
export function uriSubjectAltNames(subjectAltName: string | undefined): string[] {
  if (!subjectAltName) return [];
  const uris: string[] = [];
  for (const part of subjectAltName.split(", ")) {
    if (!part.startsWith("URI:")) continue;
    let uri = part.slice(4);
    // Node quotes values that contain separators: URI:"spiffe://a, b".
    if (uri.startsWith('"') && uri.endsWith('"')) {
      try {
        uri = JSON.parse(uri) as string;
      } catch {
        continue;
      }
    }
    uris.push(uri);
  }
  return uris;
}

function spiffeTeam(spiffeId: string): string {
  const teamPrefix = "spiffe://agentkms.org/team/";
  if (spiffeId.startsWith(teamPrefix)) {
    const team = spiffeId.slice(teamPrefix.length).split("/")[0] ?? "";
    if (team) return team;
  }
  const ns = /\/ns\/([^/]+)\//.exec(spiffeId);
  return ns?.[1] ? `k8s-${ns[1]}` : "";
}

export function roleFromOu(ou: string | undefined, hasSpiffe: boolean): Role {
  if (ou === undefined) return hasSpiffe ? "service" : "developer";
  const normalized = ou.trim().toLowerCase();
  // Anything unrecognised (the dev default is "team:forge") is a developer, never an error.
  if (normalized === "service" || normalized === "agent") return normalized;
  return "developer";
}

/** The identity, or null when AgentKMS would refuse the certificate (empty CN, or no team). */
export function identityFromCertificate(cert: PeerCertificateLike): Identity | null {
  if (!cert.raw || cert.raw.length === 0) return null;
  const subject = cert.subject ?? {};
  const callerId = (firstValue(subject["CN"]) ?? "").trim();
  if (!callerId) return null;
  const spiffeId = uriSubjectAltNames(cert.subjectaltname).find((uri) => uri.startsWith("spiffe:")) ?? "";
  let teamId = (firstValue(subject["O"]) ?? "").trim();
  if (!teamId && spiffeId) teamId = spiffeTeam(spiffeId);
  if (!teamId) return null;
  const ou = firstValue(subject["OU"]);
  return {
    callerId,
    teamId,
    role: roleFromOu(ou, spiffeId !== ""),
    callerOu: ou ?? "",
    spiffeId,
    certFingerprint: certificateFingerprint(cert.raw),
  };
}
