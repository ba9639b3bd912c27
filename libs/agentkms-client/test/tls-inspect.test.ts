// inspectTlsMaterial (`kpm doctor`'s PEM checks) on real openssl-made files: every fault is reported
// for its own file, the key/cert match and the CA issuance are checked, and no key material leaves.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { chmodSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { inspectTlsMaterial, type TlsInspection } from "../src/diagnose-index.ts";
import { createPki, type Pki } from "./helpers/pki.ts";

let pki: Pki;
let scratch: string;

beforeAll(() => {
  pki = createPki();
  scratch = join(pki.dir, "scratch");
  mkdirSync(scratch);
});
afterAll(() => pki.remove());

function file(name: string, content: string, mode = 0o600): string {
  const path = join(scratch, name);
  writeFileSync(path, content, { mode });
  chmodSync(path, mode);
  return path;
}

function openssl(args: string[]): void {
  const result = Bun.spawnSync(["openssl", ...args], { stdout: "pipe", stderr: "pipe" });
  if (result.exitCode !== 0) throw new Error(`openssl failed: ${result.stderr.toString()}`);
}

function good(): { ca: string; cert: string; key: string } {
  chmodSync(pki.clientKey, 0o600);
  return { ca: pki.caCert, cert: pki.clientCert, key: pki.clientKey };
}

function expectOk<T>(inspected: { ok: true; facts: T } | { ok: false; problem: string }): T {
  if (!inspected.ok) throw new Error(`expected ok, got: ${inspected.problem}`);
  return inspected.facts;
}

describe("inspectTlsMaterial", () => {
  test("a working identity: CA and cert parse with their dates, the key matches and is private", () => {
    const now = Date.now();
    const result = inspectTlsMaterial(good(), now);
    const [root, ...more] = expectOk(result.ca);
    expect(more).toEqual([]);
    expect(root?.subject).toBe("CN=ca");
    const cert = expectOk(result.cert);
    expect(cert.subject).toBe("O=AgentKMS Dev, OU=team:forge, CN=forge-gateway");
    expect(cert.issuedByCa).toBe(true);
    expect(cert.expired).toBe(false);
    expect(cert.notYetValid).toBe(false);
    // openssl -days 2: two days minus the seconds since it was made.
    expect(cert.daysLeft).toBe(1);
    expect(cert.notAfter.getTime() - cert.notBefore.getTime()).toBe(2 * 86_400_000);
    expect(expectOk(result.key)).toEqual({ type: "EC P-256", matchesCert: true, mode: 0o600 });
  });

  test("never returns key material", () => {
    const keyPem = readFileSync(pki.clientKey, "utf8");
    const body = keyPem.split("\n").filter((line) => line.length > 0 && !line.startsWith("-----"));
    const serialized = JSON.stringify(inspectTlsMaterial(good()));
    for (const line of body) expect(serialized).not.toContain(line);
  });

  test("a key of another identity does not match the cert", () => {
    const result = inspectTlsMaterial({ ...good(), key: pki.foreignClientKey });
    expect(expectOk(result.key).matchesCert).toBe(false);
    expect(expectOk(result.cert).issuedByCa).toBe(true);
  });

  test("a cert of another CA is reported as not issued by the CA file", () => {
    const result = inspectTlsMaterial({ ...good(), ca: pki.foreignCaCert });
    expect(expectOk(result.cert).issuedByCa).toBe(false);
    expect(expectOk(result.key).matchesCert).toBe(true);
  });

  test("a CA bundle counts the cert as issued when any of its certificates issued it", () => {
    const bundle = file(
      "bundle.crt",
      readFileSync(pki.foreignCaCert, "utf8") + readFileSync(pki.caCert, "utf8"),
    );
    const result = inspectTlsMaterial({ ...good(), ca: bundle });
    expect(expectOk(result.ca)).toHaveLength(2);
    expect(expectOk(result.cert).issuedByCa).toBe(true);
  });

  test("an expired cert: expired, days left negative", () => {
    const result = inspectTlsMaterial({ ...good(), cert: pki.expiredServerCert, key: pki.expiredServerKey });
    const cert = expectOk(result.cert);
    expect(cert.expired).toBe(true);
    expect(cert.daysLeft).toBeLessThan(0);
    expect(expectOk(result.key).matchesCert).toBe(true);
  });

  test("a clock before notBefore reads not yet valid", () => {
    const cert = expectOk(inspectTlsMaterial(good(), Date.now() - 3 * 86_400_000).cert);
    expect(cert.notYetValid).toBe(true);
    expect(cert.expired).toBe(false);
  });

  test("missing files are reported per file, and what depends on them is unknown", () => {
    const missing = join(scratch, "nope.pem");
    const result: TlsInspection = inspectTlsMaterial({ ca: missing, cert: missing, key: missing });
    expect(result).toEqual({
      ca: { ok: false, problem: "no such file or directory" },
      cert: { ok: false, problem: "no such file or directory" },
      key: { ok: false, problem: "no such file or directory" },
    });
    const noCa = inspectTlsMaterial({ ...good(), ca: missing });
    expect(expectOk(noCa.cert).issuedByCa).toBeNull();
    const noCert = inspectTlsMaterial({ ...good(), cert: missing });
    expect(expectOk(noCert.key).matchesCert).toBeNull();
  });

  test("files that are not PEM, malformed PEM, a directory", () => {
    const text = file("text.pem", "hello\n");
    const broken = file("broken.pem", "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n");
    const brokenKey = file("broken.key", "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n");
    expect(inspectTlsMaterial({ ca: text, cert: broken, key: text })).toEqual({
      ca: { ok: false, problem: "no PEM certificate in the file" },
      cert: { ok: false, problem: "malformed certificate" },
      key: { ok: false, problem: "no PEM private key in the file" },
    });
    expect(inspectTlsMaterial({ ...good(), key: brokenKey }).key).toEqual({
      ok: false,
      problem: "malformed private key",
    });
    expect(inspectTlsMaterial({ ...good(), ca: scratch }).ca).toEqual({
      ok: false,
      problem: "not a regular file",
    });
  });

  test("an encrypted key is named as such", () => {
    const encrypted = join(scratch, "encrypted.key");
    openssl(["pkcs8", "-topk8", "-in", pki.clientKey, "-out", encrypted, "-passout", "pass:secret-pass"]);
    expect(inspectTlsMaterial({ ...good(), key: encrypted }).key).toEqual({
      ok: false,
      problem: "the key is encrypted (kpm needs an unencrypted key)",
    });
  });

  test("RSA and Ed25519 keys are described; a readable key file shows its mode", () => {
    chmodSync(pki.rsaClientKey, 0o644);
    const rsa = inspectTlsMaterial({ ...good(), cert: pki.rsaClientCert, key: pki.rsaClientKey });
    expect(expectOk(rsa.key)).toEqual({ type: "RSA 2048", matchesCert: true, mode: 0o644 });
    const ed = join(scratch, "ed.key");
    openssl(["genpkey", "-algorithm", "ed25519", "-out", ed]);
    const edKey = expectOk(inspectTlsMaterial({ ...good(), key: ed }).key);
    expect(edKey.type).toBe("ED25519");
    expect(edKey.matchesCert).toBe(false);
  });
});
