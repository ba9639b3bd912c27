// The CA bundle a brokered tool trusts: the system roots plus the run's CA, in a private (0700)
// directory that the broker removes when the run ends.
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { rootCertificates } from "node:tls";

/** Where distributions keep their root bundle; the first readable one is used. */
export const SYSTEM_BUNDLES = [
  "/etc/ssl/certs/ca-certificates.crt",
  "/etc/pki/tls/certs/ca-bundle.crt",
  "/etc/ssl/ca-bundle.pem",
  "/etc/ssl/cert.pem",
];

/** The system's roots as PEM text: the first readable bundle, else the runtime's built-in roots. */
export function systemRoots(candidates: readonly string[] = SYSTEM_BUNDLES): string {
  for (const path of candidates) {
    try {
      const text = readFileSync(path, "utf8");
      if (text.includes("-----BEGIN CERTIFICATE-----")) return text.endsWith("\n") ? text : `${text}\n`;
    } catch {
      // not this one
    }
  }
  return `${rootCertificates.join("\n")}\n`;
}

export interface TrustBundle {
  dir: string;
  path: string;
  remove(): void;
}

export function writeTrustBundle(
  caPem: string,
  roots: string = systemRoots(),
  parent = tmpdir(),
): TrustBundle {
  const dir = mkdtempSync(join(parent, "kpm-broker-"));
  chmodSync(dir, 0o700);
  const path = join(dir, "ca-bundle.pem");
  writeFileSync(path, `${roots}${caPem}`, { mode: 0o644 });
  return { dir, path, remove: () => rmSync(dir, { recursive: true, force: true }) };
}
