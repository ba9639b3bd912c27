// The caller behind a request's connection: the verified client certificate's identity and
// fingerprint (computed once per TLS connection), and the peer's address as Go prints it.
import type { IncomingMessage } from "node:http";
import type { TLSSocket } from "node:tls";
import {
  certificateFingerprint,
  type Identity,
  identityFromCertificate,
  type PeerCertificateLike,
} from "./identity.ts";

export interface Peer {
  /** SHA-256 of the leaf certificate, even when it yields no identity (audit of a refused auth). */
  fingerprint: string;
  identity: Identity | null;
  /** The subject CN, trimmed; "" when absent. */
  cn: string;
}

/** The remote address, an IPv4-mapped IPv6 address shown as IPv4 (as Go's RemoteAddr host). */
export function sourceIp(req: IncomingMessage): string {
  const address = req.socket.remoteAddress ?? "";
  return address.startsWith("::ffff:") ? address.slice(7) : address;
}

const peerIdentities = new WeakMap<object, { fingerprint: string; identity: Identity | null } | null>();

/** The verified peer certificate's identity and fingerprint, or null without a client certificate. */
export function peerOf(req: IncomingMessage): Peer | null {
  const socket = req.socket as Partial<TLSSocket>;
  if (typeof socket.getPeerCertificate !== "function") return null;
  const cert = socket.getPeerCertificate(true) as PeerCertificateLike | null;
  if (!cert?.raw || cert.raw.length === 0) return null;
  const cn = cert.subject?.["CN"];
  const commonName = (Array.isArray(cn) ? cn[0] : cn) ?? "";
  let cached = peerIdentities.get(socket);
  if (!cached) {
    const identity = identityFromCertificate(cert);
    cached = { identity, fingerprint: identity?.certFingerprint ?? certificateFingerprint(cert.raw) };
    peerIdentities.set(socket, cached);
  }
  return { ...cached, cn: commonName.trim() };
}
