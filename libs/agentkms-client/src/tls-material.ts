// Reads and checks the client's PEM files, so a bad file is reported with the kpm-cli.md §4.3 texts
// instead of surfacing as an opaque socket error. createClient checks when it is built; openClient
// only after a failed first connection (a completed handshake proves the files). node:crypto is
// loaded only by the check (~2 ms). Each file is read with a 1 MiB cap (a cert of /dev/zero fails
// at once instead of filling memory).
import type { KeyObject, X509Certificate } from "node:crypto";
import { MAX_PEM_BYTES, readFileBounded } from "@kpm/bounded-read";
import { requireBuiltin } from "@kpm/deferred";
import { AgentKmsError } from "./errors.ts";

type Crypto = typeof import("node:crypto");

/** The three files as read, before any check. */
export interface TlsFiles {
  caPem: string;
  certPem: string;
  /** The private key PEM; bytes, so the caller can zero it. */
  key: Uint8Array;
}

export interface TlsMaterial {
  /** Only the CA certificates that parsed, as PEM. */
  ca: string;
  cert: string;
  /** The private key PEM; bytes, so the caller can zero it. */
  key: Uint8Array;
}

function tlsConfigError(detail: string): AgentKmsError {
  return new AgentKmsError("config", `TLS config: ${detail}`);
}

function readPemFile(label: string, path: string): Uint8Array {
  try {
    return readFileBounded(path, MAX_PEM_BYTES);
  } catch (error) {
    // The reader's message is the reason: "no such file or directory", "file too large (max 1 MiB)".
    throw tlsConfigError(`read ${label} ${path}: ${(error as Error).message}`);
  }
}

/** Like Buffer#toString("utf8"): invalid bytes become U+FFFD. */
const utf8 = new TextDecoder("utf-8", { ignoreBOM: true });

const BEGIN = "-----BEGIN CERTIFICATE-----";
const END = "-----END CERTIFICATE-----";

/**
 * Each `BEGIN CERTIFICATE … END CERTIFICATE` block, first to last, as the regex
 * /-----BEGIN CERTIFICATE-----[\s\S]*?-----END CERTIFICATE-----/g would find them; indexOf
 * instead, because compiling that regex was ~0.15 ms of every `kpm get`.
 */
export function certificateBlocks(pem: string): string[] {
  const blocks: string[] = [];
  let from = 0;
  for (;;) {
    const start = pem.indexOf(BEGIN, from);
    if (start === -1) return blocks;
    const end = pem.indexOf(END, start + BEGIN.length);
    if (end === -1) return blocks;
    from = end + END.length;
    blocks.push(pem.slice(start, from));
  }
}

/** The CA bundle a session trusts when every certificate block of the file parses (no parsing needed). */
export function caCertificateBlocks(caPem: string): string {
  return certificateBlocks(caPem).join("\n");
}

function parseCertificates(crypto: Crypto, pem: string): { pem: string; certificate: X509Certificate }[] {
  const parsed: { pem: string; certificate: X509Certificate }[] = [];
  for (const block of certificateBlocks(pem)) {
    try {
      parsed.push({ pem: block, certificate: new crypto.X509Certificate(block) });
    } catch {
      // Like Go's AppendCertsFromPEM: skip blocks that do not parse, fail only when none does.
    }
  }
  return parsed;
}

function keyPairError(reason: string): AgentKmsError {
  return tlsConfigError(`tlsutil: parse client key pair: ${reason}`);
}

function parseKeyPair(crypto: Crypto, certPem: string, keyBytes: Uint8Array): void {
  const [leaf] = parseCertificates(crypto, certPem);
  if (leaf === undefined) {
    throw keyPairError(
      certPem.includes("-----BEGIN")
        ? "x509: malformed certificate"
        : "tls: failed to find any PEM data in certificate input",
    );
  }
  // A view, not a copy: the key bytes should exist once so zeroing them means something.
  const keyView = Buffer.from(keyBytes.buffer, keyBytes.byteOffset, keyBytes.byteLength);
  if (!keyView.includes("-----BEGIN")) {
    throw keyPairError("tls: failed to find any PEM data in key input");
  }
  let key: KeyObject;
  try {
    key = crypto.createPrivateKey(keyView);
  } catch {
    throw keyPairError("tls: failed to parse private key");
  }
  if (!leaf.certificate.checkPrivateKey(key)) {
    throw keyPairError("tls: private key does not match public key");
  }
}

/** Reads CA, cert and key (in that order, as kpm v0.2.1 did), with the §4.3 texts for unreadable files. */
export function readTlsFiles(paths: { ca: string; cert: string; key: string }): TlsFiles {
  const caPem = utf8.decode(readPemFile("CA", paths.ca));
  const certPem = utf8.decode(readPemFile("cert", paths.cert));
  const key = readPemFile("key", paths.key);
  return { caPem, certPem, key };
}

/** Checks that the files form a usable identity; zeroes the key bytes when they do not. */
export function checkTlsFiles(files: TlsFiles): TlsMaterial {
  try {
    // Synchronous on purpose: createClient stays synchronous.
    const crypto = requireBuiltin("node:crypto");
    const roots = parseCertificates(crypto, files.caPem);
    if (roots.length === 0) throw tlsConfigError("tlsutil: failed to parse root CA certificates");
    parseKeyPair(crypto, files.certPem, files.key);
    return { ca: roots.map((root) => root.pem).join("\n"), cert: files.certPem, key: files.key };
  } catch (error) {
    files.key.fill(0);
    throw error;
  }
}

/** Reads CA, cert and key (in that order, as kpm v0.2.1 did) and checks they form a usable identity. */
export function loadTlsMaterial(paths: { ca: string; cert: string; key: string }): TlsMaterial {
  return checkTlsFiles(readTlsFiles(paths));
}
