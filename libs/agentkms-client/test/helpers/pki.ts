// Throwaway PKI for tests, made with the openssl CLI in a fresh temp dir per run: a CA, a server
// cert for 127.0.0.1/localhost, a clientAuth client cert, and the broken variants the fault tests need.
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

export interface Pki {
  dir: string;
  caCert: string;
  serverCert: string;
  serverKey: string;
  clientCert: string;
  clientKey: string;
  /** Server cert and key signed by an unrelated CA. */
  foreignServerCert: string;
  foreignServerKey: string;
  foreignCaCert: string;
  /** Client cert signed by the unrelated CA (server must refuse it). */
  foreignClientCert: string;
  foreignClientKey: string;
  /** Server cert signed by the right CA whose notAfter is in the past. */
  expiredServerCert: string;
  expiredServerKey: string;
  /** Server cert signed by the right CA for a name that is not the URL host. */
  otherHostServerCert: string;
  otherHostServerKey: string;
  /** An RSA client key/cert and a PKCS#8 one, to prove every §4.3 key form loads. */
  rsaClientCert: string;
  rsaClientKey: string;
  remove(): void;
}

function openssl(dir: string, args: string[]): void {
  const result = Bun.spawnSync(["openssl", ...args], { cwd: dir, stdout: "pipe", stderr: "pipe" });
  if (result.exitCode !== 0) {
    throw new Error(`openssl ${args.join(" ")} failed: ${result.stderr.toString()}`);
  }
}

function makeCa(dir: string, name: string): void {
  openssl(dir, ["ecparam", "-name", "prime256v1", "-genkey", "-noout", "-out", `${name}.key`]);
  openssl(dir, [
    "req",
    "-x509",
    "-new",
    "-key",
    `${name}.key`,
    "-out",
    `${name}.crt`,
    "-subj",
    `/CN=${name}`,
    "-days",
    "2",
    "-addext",
    "basicConstraints=critical,CA:TRUE",
    "-addext",
    "keyUsage=critical,keyCertSign,cRLSign",
  ]);
}

interface LeafOptions {
  ca: string;
  subject: string;
  extensions: string;
  days?: number;
  rsa?: boolean;
}

function makeLeaf(dir: string, name: string, options: LeafOptions): void {
  if (options.rsa) {
    openssl(dir, ["genrsa", "-out", `${name}.key`, "2048"]);
  } else {
    // SEC1 "EC PRIVATE KEY", the form Go's enroll writes.
    openssl(dir, ["ecparam", "-name", "prime256v1", "-genkey", "-noout", "-out", `${name}.key`]);
  }
  openssl(dir, ["req", "-new", "-key", `${name}.key`, "-out", `${name}.csr`, "-subj", options.subject]);
  writeFileSync(join(dir, `${name}.ext`), `${options.extensions}\n`);
  openssl(dir, [
    "x509",
    "-req",
    "-in",
    `${name}.csr`,
    "-CA",
    `${options.ca}.crt`,
    "-CAkey",
    `${options.ca}.key`,
    "-CAcreateserial",
    "-out",
    `${name}.crt`,
    "-days",
    String(options.days ?? 2),
    "-extfile",
    `${name}.ext`,
  ]);
}

const serverExt =
  "basicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\nsubjectAltName=DNS:localhost,IP:127.0.0.1";
const clientExt = "basicConstraints=CA:FALSE\nextendedKeyUsage=clientAuth";

export function createPki(): Pki {
  const dir = mkdtempSync(join(tmpdir(), "kpm-client-pki-"));
  makeCa(dir, "ca");
  makeCa(dir, "foreign-ca");
  makeLeaf(dir, "server", { ca: "ca", subject: "/CN=agentkms-dev", extensions: serverExt });
  makeLeaf(dir, "client", {
    ca: "ca",
    subject: "/O=AgentKMS Dev/OU=team:forge/CN=forge-gateway",
    extensions: clientExt,
  });
  makeLeaf(dir, "foreign-server", { ca: "foreign-ca", subject: "/CN=impostor", extensions: serverExt });
  makeLeaf(dir, "foreign-client", { ca: "foreign-ca", subject: "/O=x/CN=intruder", extensions: clientExt });
  makeLeaf(dir, "expired-server", { ca: "ca", subject: "/CN=old", extensions: serverExt, days: -1 });
  makeLeaf(dir, "other-host-server", {
    ca: "ca",
    subject: "/CN=elsewhere",
    extensions:
      "basicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\nsubjectAltName=DNS:elsewhere.invalid",
  });
  makeLeaf(dir, "rsa-client", { ca: "ca", subject: "/O=t/CN=rsa", extensions: clientExt, rsa: true });
  const path = (file: string) => join(dir, file);
  return {
    dir,
    caCert: path("ca.crt"),
    serverCert: path("server.crt"),
    serverKey: path("server.key"),
    clientCert: path("client.crt"),
    clientKey: path("client.key"),
    foreignServerCert: path("foreign-server.crt"),
    foreignServerKey: path("foreign-server.key"),
    foreignCaCert: path("foreign-ca.crt"),
    foreignClientCert: path("foreign-client.crt"),
    foreignClientKey: path("foreign-client.key"),
    expiredServerCert: path("expired-server.crt"),
    expiredServerKey: path("expired-server.key"),
    otherHostServerCert: path("other-host-server.crt"),
    otherHostServerKey: path("other-host-server.key"),
    rsaClientCert: path("rsa-client.crt"),
    rsaClientKey: path("rsa-client.key"),
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
}
