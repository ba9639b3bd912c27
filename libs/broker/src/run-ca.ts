// The per-run certificate authority of the broker: a P-256 CA and one leaf naming every declared
// host, made in memory for one `kpm run`. The keys never touch the disk; only the CA certificate
// is written (into the trust bundle), so the tool can trust the leaf and can sign nothing.

/** @peculiar/x509 through @kpm/x509 (Reflect metadata first), loaded when a run brokers. */
function loadX509(): Promise<typeof import("@kpm/x509")> {
  return import("@kpm/x509");
}

const EC_KEY = { name: "ECDSA", namedCurve: "P-256" } as const;
const SIGNING = { name: "ECDSA", hash: "SHA-256" } as const;
const DAY_MS = 24 * 60 * 60 * 1000;
// Backdated so a client whose clock runs slightly behind still accepts a fresh certificate.
const BACKDATE_MS = 60 * 1000;

export interface RunCertificates {
  /** PEM of the run's CA certificate (public: it goes into the trust bundle). */
  caPem: string;
  /** PEM of the leaf for every declared host, and its PKCS#8 key (memory only). */
  leafPem: string;
  leafKeyPem: string;
}

function randomSerial(): string {
  return Buffer.from(crypto.getRandomValues(new Uint8Array(16))).toString("hex");
}

function pem(label: string, der: ArrayBuffer): string {
  const body = Buffer.from(der).toString("base64").replace(/.{64}/g, "$&\n");
  return `-----BEGIN ${label}-----\n${body}${body.endsWith("\n") ? "" : "\n"}-----END ${label}-----\n`;
}

/** A fresh CA and a leaf whose names are `hosts` (exact names and `*.` wildcards). */
export async function makeRunCertificates(hosts: readonly string[]): Promise<RunCertificates> {
  const {
    BasicConstraintsExtension,
    ExtendedKeyUsage,
    ExtendedKeyUsageExtension,
    KeyUsageFlags,
    KeyUsagesExtension,
    SubjectAlternativeNameExtension,
    SubjectKeyIdentifierExtension,
    X509CertificateGenerator,
  } = await loadX509();
  const notBefore = new Date(Date.now() - BACKDATE_MS);
  const caKeys = await crypto.subtle.generateKey(EC_KEY, false, ["sign", "verify"]);
  const ca = await X509CertificateGenerator.createSelfSigned(
    {
      serialNumber: randomSerial(),
      name: [{ CN: ["kpm broker run CA"] }],
      notBefore,
      notAfter: new Date(notBefore.getTime() + 2 * DAY_MS),
      keys: caKeys,
      signingAlgorithm: SIGNING,
      extensions: [
        new BasicConstraintsExtension(true, 0, true),
        new KeyUsagesExtension(KeyUsageFlags.keyCertSign | KeyUsageFlags.cRLSign, true),
        await SubjectKeyIdentifierExtension.create(caKeys.publicKey, false, crypto),
      ],
    },
    crypto,
  );
  const leafKeys = await crypto.subtle.generateKey(EC_KEY, true, ["sign", "verify"]);
  const leaf = await X509CertificateGenerator.create(
    {
      serialNumber: randomSerial(),
      subject: [{ CN: ["kpm broker"] }],
      issuer: ca.subjectName,
      notBefore,
      notAfter: new Date(notBefore.getTime() + 2 * DAY_MS),
      publicKey: leafKeys.publicKey,
      signingKey: caKeys.privateKey,
      signingAlgorithm: SIGNING,
      extensions: [
        new KeyUsagesExtension(KeyUsageFlags.digitalSignature, true),
        new ExtendedKeyUsageExtension([ExtendedKeyUsage.serverAuth]),
        new SubjectAlternativeNameExtension(hosts.map((host) => ({ type: "dns" as const, value: host }))),
      ],
    },
    crypto,
  );
  const pkcs8 = await crypto.subtle.exportKey("pkcs8", leafKeys.privateKey);
  return { caPem: ca.toString("pem"), leafPem: leaf.toString("pem"), leafKeyPem: pem("PRIVATE KEY", pkcs8) };
}
