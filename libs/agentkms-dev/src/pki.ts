// The dev PKI (wire §6.2, cli §15.1–15.2): a P-256 CA, a server certificate and client certificates,
// laid out exactly as agentkms-dev does, plus a persisted ca.key so more clients can be issued later.
import { createPrivateKey, createPublicKey } from "node:crypto";
import { chmodSync, existsSync, mkdirSync, readdirSync, renameSync, rmSync, writeFileSync } from "node:fs";
import {
  AuthorityKeyIdentifierExtension,
  BasicConstraintsExtension,
  ExtendedKeyUsage,
  ExtendedKeyUsageExtension,
  type Extension,
  type JsonName,
  KeyUsageFlags,
  KeyUsagesExtension,
  type Name,
  SubjectAlternativeNameExtension,
  SubjectKeyIdentifierExtension,
  X509Certificate,
  X509CertificateGenerator,
} from "@kpm/x509";
import { clientPaths, DEFAULT_CLIENT_CN, DEV_CA_CN, pkiPaths } from "./dev-dir.ts";
import { DevError, ioError } from "./errors.ts";
import { readPemText } from "./read-pem.ts";

const DEFAULT_TEAM = "AgentKMS Dev";
const DEFAULT_OU = "team:forge";
const SERVER_CN = "agentkms-dev";

const DAY_MS = 24 * 60 * 60 * 1000;
// agentkms-dev counts validity in whole 24 h days from "now" (the fixture CA ends 3650 days later).
const CA_VALIDITY_MS = 3650 * DAY_MS;
const LEAF_VALIDITY_MS = 365 * DAY_MS;
// Backdated so a client whose clock runs slightly behind still accepts a fresh certificate.
const BACKDATE_MS = 60 * 1000;
const CA_RENEW_MARGIN_MS = 30 * DAY_MS;

const EC_KEY = { name: "ECDSA", namedCurve: "P-256" } as const;
const SIGNING = { name: "ECDSA", hash: "SHA-256" } as const;

export interface EnrollOptions {
  clientCn?: string;
  ou?: string;
  team?: string;
  force?: boolean;
}

export interface ClientOptions {
  ou?: string;
  team?: string;
}

interface Authority {
  certificate: X509Certificate;
  signingKey: CryptoKey;
}

/**
 * Creates the whole PKI, or with a new explicit `clientCn` on an existing PKI, only that client.
 * `created` says which happened; `warning` is set when --force orphaned an existing store.
 */
export async function enroll(
  dir: string,
  opts: EnrollOptions = {},
): Promise<{ created: "all" | "client"; warning?: string }> {
  const paths = pkiPaths(dir);
  const clientCn = opts.clientCn ?? DEFAULT_CLIENT_CN;
  validateCommonName(clientCn);
  if (existsSync(paths.caCert) && !opts.force) {
    // Only an explicitly requested, not-yet-issued client may be added without --force: a bare
    // `enroll` on an existing PKI is almost always a mistake that --force would make destructive.
    const isNewClient = opts.clientCn !== undefined && !existsSync(clientPaths(dir, clientCn).cert);
    if (isNewClient && existsSync(paths.caKey)) {
      await issueClient(dir, clientCn, { ou: opts.ou, team: opts.team });
      return { created: "client" };
    }
    throw new DevError(
      "pki_exists",
      `PKI already exists in ${dir} (use --force to re-create it; existing secrets become unreadable)`,
    );
  }
  const orphanedStore = existsSync(paths.caCert) && existsSync(paths.store);
  await io(`write PKI to ${dir}`, async () => {
    makePrivateDir(dir);
    // Client certificates of the replaced CA could never authenticate again.
    if (opts.force) rmSync(paths.clients, { recursive: true, force: true });
    const ca = await createAuthority();
    writePrivateFile(paths.caKey, await exportSec1Pem(ca.signingKey));
    const serverKeys = await generateKeyPair();
    const serverCert = await issueServerCertificate(ca, await exportSpki(serverKeys.publicKey));
    writePrivateFile(paths.serverKey, await exportSec1Pem(serverKeys.privateKey));
    writePrivateFile(paths.serverCert, serverCert.toString("pem"));
    await writeNewClient(dir, ca, clientCn, opts);
    // ca.crt last: its presence is what marks a data dir as enrolled.
    writePrivateFile(paths.caCert, ca.certificate.toString("pem"));
  });
  if (orphanedStore) {
    return {
      created: "all",
      warning: `${paths.store} was encrypted with the old server key and can no longer be read`,
    };
  }
  return { created: "all" };
}

/** Issues (or re-issues with a new key) `clients/<cn>/` from the persisted `ca.key`. */
export async function issueClient(dir: string, cn: string, opts: ClientOptions = {}): Promise<void> {
  validateCommonName(cn);
  const ca = await loadAuthority(dir);
  await io(`issue client ${cn} in ${dir}`, () => writeNewClient(dir, ca, cn, opts));
}

/**
 * Re-issues the server certificate and every client certificate from `ca.key`, keeping every
 * private key so `secrets.enc` stays readable and copied client keys keep working.
 */
export async function renew(dir: string): Promise<{ count: number; validUntil: Date }> {
  const ca = await loadAuthority(dir);
  const caNotAfter = ca.certificate.notAfter;
  if (caNotAfter.getTime() - Date.now() < CA_RENEW_MARGIN_MS) {
    throw new DevError(
      "ca_expiring",
      `the dev CA expires on ${formatDate(caNotAfter)}; re-create the PKI with --force`,
    );
  }
  const paths = pkiPaths(dir);
  return io(`renew certificates in ${dir}`, async () => {
    const serverKeyPem = readPemText(paths.serverKey);
    const serverCert = await issueServerCertificate(ca, spkiOfPrivateKey(serverKeyPem));
    writePrivateFile(paths.serverCert, serverCert.toString("pem"));
    let count = 1;
    let validUntil = serverCert.notAfter;
    for (const cn of listClients(dir)) {
      const client = clientPaths(dir, cn);
      // The previous subject carries the identity (role, team, cn) the client was issued for.
      const previous = new X509Certificate(readPemText(client.cert));
      const renewed = await signLeaf(ca, {
        subject: previous.subjectName,
        publicKey: spkiOfPrivateKey(readPemText(client.key)),
        extraExtensions: [clientSan(cn)],
        usage: ExtendedKeyUsage.clientAuth,
      });
      writePrivateFile(client.cert, renewed.toString("pem"));
      writePrivateFile(client.caCert, ca.certificate.toString("pem"));
      count += 1;
      if (renewed.notAfter < validUntil) validUntil = renewed.notAfter;
    }
    return { count, validUntil };
  });
}

export function certificateNotAfter(pem: string): Date {
  return new X509Certificate(pem).notAfter;
}

/** The first NotAfter among the CA, server and client certificates; null when none exist. */
export function earliestExpiry(dir: string): Date | null {
  const paths = pkiPaths(dir);
  const files = [paths.caCert, paths.serverCert, ...listClients(dir).map((cn) => clientPaths(dir, cn).cert)];
  let earliest: Date | null = null;
  for (const file of files) {
    if (!existsSync(file)) continue;
    const notAfter = certificateNotAfter(readPemText(file));
    if (earliest === null || notAfter < earliest) earliest = notAfter;
  }
  return earliest;
}

function listClients(dir: string): string[] {
  const clientsDir = pkiPaths(dir).clients;
  if (!existsSync(clientsDir)) return [];
  return readdirSync(clientsDir, { withFileTypes: true })
    .filter((entry) => entry.isDirectory() && existsSync(clientPaths(dir, entry.name).cert))
    .map((entry) => entry.name)
    .sort();
}

async function createAuthority(): Promise<Authority> {
  const keys = await generateKeyPair();
  const name: JsonName = [{ O: [DEFAULT_TEAM] }, { CN: [DEV_CA_CN] }];
  const notBefore = new Date(Date.now() - BACKDATE_MS);
  const certificate = await X509CertificateGenerator.createSelfSigned(
    {
      serialNumber: randomSerial(),
      name,
      notBefore,
      notAfter: new Date(notBefore.getTime() + BACKDATE_MS + CA_VALIDITY_MS),
      keys,
      signingAlgorithm: SIGNING,
      extensions: [
        new KeyUsagesExtension(KeyUsageFlags.keyCertSign | KeyUsageFlags.cRLSign, true),
        new BasicConstraintsExtension(true, undefined, true),
        await SubjectKeyIdentifierExtension.create(keys.publicKey, false, crypto),
      ],
    },
    crypto,
  );
  return { certificate, signingKey: keys.privateKey };
}

async function loadAuthority(dir: string): Promise<Authority> {
  const paths = pkiPaths(dir);
  if (!existsSync(paths.caCert)) throw new DevError("no_pki", `no PKI in ${dir}; run: kpm dev enroll`);
  if (!existsSync(paths.caKey)) {
    // Data dirs made by agentkms-dev never kept the CA key.
    throw new DevError("no_pki", `no CA key in ${dir} (ca.key); re-create the PKI with --force`);
  }
  return io(`load the dev CA from ${dir}`, async () => {
    const certificate = new X509Certificate(readPemText(paths.caCert));
    const pkcs8 = createPrivateKey(readPemText(paths.caKey)).export({
      type: "pkcs8",
      format: "der",
    });
    const signingKey = await crypto.subtle.importKey("pkcs8", pkcs8, EC_KEY, false, ["sign"]);
    return { certificate, signingKey };
  });
}

async function writeNewClient(dir: string, ca: Authority, cn: string, opts: ClientOptions): Promise<void> {
  const client = clientPaths(dir, cn);
  const keys = await generateKeyPair();
  // One multi-valued OU RDN between O and CN, exactly as Go's pkix.Name encodes it; the first OU
  // decides the role (wire §2.2).
  const subject: JsonName = [
    { O: [opts.team ?? DEFAULT_TEAM] },
    { OU: [opts.ou ?? DEFAULT_OU, `caller:${cn}`] },
    { CN: [cn] },
  ];
  const certificate = await signLeaf(ca, {
    subject,
    publicKey: await exportSpki(keys.publicKey),
    extraExtensions: [clientSan(cn)],
    usage: ExtendedKeyUsage.clientAuth,
  });
  makePrivateDir(pkiPaths(dir).clients);
  makePrivateDir(client.dir);
  writePrivateFile(client.key, await exportSec1Pem(keys.privateKey));
  writePrivateFile(client.cert, certificate.toString("pem"));
  writePrivateFile(client.caCert, ca.certificate.toString("pem"));
}

// agentkms-dev hard-codes team "forge" in the SPIFFE id whatever the subject says.
function clientSan(cn: string): SubjectAlternativeNameExtension {
  return new SubjectAlternativeNameExtension([
    { type: "url", value: `spiffe://agentkms.dev/team/forge/identity/${cn}` },
  ]);
}

function issueServerCertificate(ca: Authority, publicKey: ArrayBuffer): Promise<X509Certificate> {
  return signLeaf(ca, {
    subject: [{ O: [DEFAULT_TEAM] }, { CN: [SERVER_CN] }],
    publicKey,
    extraExtensions: [
      new SubjectAlternativeNameExtension([
        { type: "dns", value: "localhost" },
        { type: "ip", value: "127.0.0.1" },
      ]),
    ],
    usage: ExtendedKeyUsage.serverAuth,
  });
}

async function signLeaf(
  ca: Authority,
  leaf: { subject: JsonName | Name; publicKey: ArrayBuffer; extraExtensions: Extension[]; usage: string },
): Promise<X509Certificate> {
  const notBefore = new Date(Date.now() - BACKDATE_MS);
  return X509CertificateGenerator.create(
    {
      serialNumber: randomSerial(),
      subject: leaf.subject,
      issuer: ca.certificate.subjectName,
      notBefore,
      notAfter: new Date(notBefore.getTime() + BACKDATE_MS + LEAF_VALIDITY_MS),
      publicKey: leaf.publicKey,
      signingKey: ca.signingKey,
      signingAlgorithm: SIGNING,
      extensions: [
        new KeyUsagesExtension(KeyUsageFlags.digitalSignature, true),
        new ExtendedKeyUsageExtension([leaf.usage]),
        await AuthorityKeyIdentifierExtension.create(ca.certificate.publicKey, false, crypto),
        ...leaf.extraExtensions,
      ],
    },
    crypto,
  );
}

function generateKeyPair(): Promise<CryptoKeyPair> {
  return crypto.subtle.generateKey(EC_KEY, true, ["sign", "verify"]);
}

function exportSpki(key: CryptoKey): Promise<ArrayBuffer> {
  return crypto.subtle.exportKey("spki", key);
}

function spkiOfPrivateKey(pem: string): ArrayBuffer {
  const der = createPublicKey(pem).export({ type: "spki", format: "der" });
  return new Uint8Array(der).buffer;
}

/** agentkms-dev writes SEC1 `EC PRIVATE KEY` PEM; WebCrypto only exports PKCS#8. */
async function exportSec1Pem(key: CryptoKey): Promise<string> {
  const pkcs8 = Buffer.from(await crypto.subtle.exportKey("pkcs8", key));
  const pem = createPrivateKey({ key: pkcs8, format: "der", type: "pkcs8" }).export({
    type: "sec1",
    format: "pem",
  });
  pkcs8.fill(0);
  return pem.toString();
}

/** 128 random bits, hex; the generator drops leading zero bytes and keeps the INTEGER positive. */
function randomSerial(): string {
  return Buffer.from(crypto.getRandomValues(new Uint8Array(16))).toString("hex");
}

function validateCommonName(cn: string): void {
  // The CN becomes a directory name under clients/ and part of a SPIFFE URI.
  if (!/^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(cn) || cn.length > 64) {
    throw new DevError(
      "invalid_cn",
      `invalid client CN "${cn}": use letters, digits, ".", "_" and "-" (at most 64, not starting with a symbol)`,
    );
  }
}

/** mkdir's mode is masked by the umask, so the mode is set explicitly afterwards. */
function makePrivateDir(dir: string): void {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  chmodSync(dir, 0o700);
}

/** Write-then-rename with an explicit chmod: the mode must be 0600 whatever the umask or old file. */
function writePrivateFile(path: string, content: string): void {
  const temporary = `${path}.tmp`;
  writeFileSync(temporary, content, { mode: 0o600 });
  chmodSync(temporary, 0o600);
  renameSync(temporary, path);
}

/** YYYY-MM-DD (UTC), the date form of kpm's messages. */
export function formatDate(date: Date): string {
  return date.toISOString().slice(0, 10);
}

async function io<T>(operation: string, fn: () => Promise<T> | T): Promise<T> {
  try {
    return await fn();
  } catch (error) {
    throw ioError(operation, error);
  }
}
