// What `kpm doctor` reports about the client's PEM files: each file on its own (readable, parses,
// validity dates), whether the key belongs to the certificate, and whether the certificate was
// issued by the CA file. Unlike loadTlsMaterial it never stops at the first problem, and it returns
// facts, never key material. Not a hot path: node:crypto is loaded here freely.
import { createPrivateKey, type KeyObject, X509Certificate } from "node:crypto";
import { statSync } from "node:fs";
import { MAX_PEM_BYTES, readFileBounded } from "@kpm/bounded-read";
import { certificateBlocks } from "./tls-material.ts";

const DAY_MS = 86_400_000;

export interface CertificateFacts {
  /** The subject, one `KEY=value` per RDN joined by ", " (as node:crypto lists them). */
  subject: string;
  notBefore: Date;
  notAfter: Date;
  /** Whole days from now until notAfter (0 on its last day); negative once it has passed. */
  daysLeft: number;
  expired: boolean;
  notYetValid: boolean;
}

export interface ClientCertFacts extends CertificateFacts {
  /** Signed by one of the CA file's certificates; null when the CA file is unusable. */
  issuedByCa: boolean | null;
}

export interface KeyFacts {
  /** e.g. `EC P-256`, `RSA 2048`, `ED25519`. */
  type: string;
  /** The certificate's public key is this key's; null when the certificate is unusable. */
  matchesCert: boolean | null;
  /** Permission bits of the key file (0o600 when private). */
  mode: number;
}

export type Inspected<T> = { ok: true; facts: T } | { ok: false; problem: string };

export interface TlsInspection {
  /** Every certificate of the CA file that parses. */
  ca: Inspected<CertificateFacts[]>;
  /** The first certificate of the cert file (the leaf; a chain may follow it). */
  cert: Inspected<ClientCertFacts>;
  key: Inspected<KeyFacts>;
}

type Read = { ok: true; bytes: Buffer; mode: number } | { ok: false; problem: string };

/**
 * The file's bytes (through the bounded reader: regular files only, at most 1 MiB, so a cert of
 * /dev/zero is reported, not read) and its mode. The reader's message is the reason
 * ("no such file or directory", "file too large (max 1 MiB)").
 */
function readWithMode(path: string): Read {
  try {
    const bytes = Buffer.from(readFileBounded(path, MAX_PEM_BYTES, { regularOnly: true }));
    return { ok: true, bytes, mode: statSync(path).mode & 0o777 };
  } catch (error) {
    return { ok: false, problem: (error as Error).message };
  }
}

function facts(certificate: X509Certificate, now: number): CertificateFacts {
  const notBefore = new Date(certificate.validFrom);
  const notAfter = new Date(certificate.validTo);
  return {
    subject: certificate.subject.split("\n").join(", "),
    notBefore,
    notAfter,
    daysLeft: Math.floor((notAfter.getTime() - now) / DAY_MS),
    expired: notAfter.getTime() <= now,
    notYetValid: notBefore.getTime() > now,
  };
}

function parseAll(pem: string): X509Certificate[] {
  const parsed: X509Certificate[] = [];
  for (const block of certificateBlocks(pem)) {
    try {
      parsed.push(new X509Certificate(block));
    } catch {
      // As loadTlsMaterial does: a block that does not parse is skipped.
    }
  }
  return parsed;
}

function noCertificate(pem: string): string {
  return pem.includes("-----BEGIN") ? "malformed certificate" : "no PEM certificate in the file";
}

function describeKey(key: KeyObject): string {
  const details = key.asymmetricKeyDetails ?? {};
  switch (key.asymmetricKeyType) {
    case "ec":
      return `EC ${curveNames[details.namedCurve ?? ""] ?? details.namedCurve ?? ""}`.trimEnd();
    case "rsa":
    case "rsa-pss":
      return `RSA ${details.modulusLength ?? ""}`.trimEnd();
    default:
      return (key.asymmetricKeyType ?? "unknown").toUpperCase();
  }
}

const curveNames: Record<string, string> = {
  prime256v1: "P-256",
  secp384r1: "P-384",
  secp521r1: "P-521",
};

function parseKey(bytes: Buffer): { ok: true; key: KeyObject } | { ok: false; problem: string } {
  if (!bytes.includes("-----BEGIN")) return { ok: false, problem: "no PEM private key in the file" };
  try {
    return { ok: true, key: createPrivateKey(bytes) };
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === "ERR_MISSING_PASSPHRASE") {
      return { ok: false, problem: "the key is encrypted (kpm needs an unencrypted key)" };
    }
    return { ok: false, problem: "malformed private key" };
  }
}

export function inspectTlsMaterial(
  paths: { ca: string; cert: string; key: string },
  now: number = Date.now(),
): TlsInspection {
  const caRead = readWithMode(paths.ca);
  const roots = caRead.ok ? parseAll(caRead.bytes.toString("utf8")) : [];
  const ca: Inspected<CertificateFacts[]> = !caRead.ok
    ? caRead
    : roots.length === 0
      ? { ok: false, problem: noCertificate(caRead.bytes.toString("utf8")) }
      : { ok: true, facts: roots.map((root) => facts(root, now)) };

  const certRead = readWithMode(paths.cert);
  const leaf = certRead.ok ? parseAll(certRead.bytes.toString("utf8"))[0] : undefined;
  let cert: Inspected<ClientCertFacts>;
  if (!certRead.ok) cert = certRead;
  else if (leaf === undefined) cert = { ok: false, problem: noCertificate(certRead.bytes.toString("utf8")) };
  else {
    const issuedByCa = ca.ok
      ? roots.some((root) => leaf.checkIssued(root) && leaf.verify(root.publicKey))
      : null;
    cert = { ok: true, facts: { ...facts(leaf, now), issuedByCa } };
  }

  const keyRead = readWithMode(paths.key);
  let key: Inspected<KeyFacts>;
  if (!keyRead.ok) key = keyRead;
  else {
    const parsed = parseKey(keyRead.bytes);
    // The key's bytes are not needed past this point, whatever the outcome.
    keyRead.bytes.fill(0);
    key = parsed.ok
      ? {
          ok: true,
          facts: {
            type: describeKey(parsed.key),
            matchesCert: leaf === undefined ? null : leaf.checkPrivateKey(parsed.key),
            mode: keyRead.mode,
          },
        }
      : parsed;
  }
  return { ca, cert, key };
}
