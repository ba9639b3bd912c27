// The openssl CLI for tests that need certificates kpm did not make: an existing key re-signed by
// the dev CA with another validity (expired, expiring soon) or other extensions.
import { writeFileSync } from "node:fs";
import { join } from "node:path";

/** Runs `openssl <args>` and returns its stdout; a failure throws with openssl's stderr. */
export function openssl(args: string[]): string {
  const result = Bun.spawnSync(["openssl", ...args], { stdout: "pipe", stderr: "pipe" });
  if (result.exitCode !== 0) throw new Error(`openssl ${args[0]} failed: ${result.stderr.toString()}`);
  return result.stdout.toString();
}

export interface Reissue {
  /** The existing private key the new certificate is for. */
  key: string;
  subject: string;
  /** openssl x509 extension lines, e.g. "extendedKeyUsage=clientAuth". */
  extensions: string[];
  /** The CA that signs it: a dev server's dir (its ca.crt and ca.key). */
  caDir: string;
  serial: number;
  /** Days of validity from now; negative: already expired. */
  days: number;
  /** Where the certificate is written; the CSR and extension file go beside it (<name>.csr, .ext). */
  out: string;
}

/** A new certificate for an existing key, signed by the dev CA of `caDir`. */
export function reissueCertificate(request: Reissue): void {
  const stem = request.out.replace(/\.crt$/, "");
  const csr = `${stem}.csr`;
  const extensions = `${stem}.ext`;
  openssl(["req", "-new", "-key", request.key, "-subj", request.subject, "-out", csr]);
  writeFileSync(extensions, `${request.extensions.join("\n")}\n`);
  openssl([
    "x509",
    "-req",
    "-in",
    csr,
    "-CA",
    join(request.caDir, "ca.crt"),
    "-CAkey",
    join(request.caDir, "ca.key"),
    "-set_serial",
    String(request.serial),
    "-days",
    String(request.days),
    "-extfile",
    extensions,
    "-out",
    request.out,
  ]);
}
