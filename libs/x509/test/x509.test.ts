// The re-export works in a fresh process whose first import is this module (Reflect metadata in
// place before @peculiar/x509 loads), and a certificate made through it parses back.
import { expect, test } from "bun:test";
import { join } from "node:path";
import { BasicConstraintsExtension, X509Certificate, X509CertificateGenerator } from "../src/index.ts";

test("a self-signed CA made through @kpm/x509 parses back with its constraints", async () => {
  const keys = await crypto.subtle.generateKey({ name: "ECDSA", namedCurve: "P-256" }, false, [
    "sign",
    "verify",
  ]);
  const cert = await X509CertificateGenerator.createSelfSigned({
    serialNumber: "01",
    name: "CN=kpm x509 test",
    keys,
    signingAlgorithm: { name: "ECDSA", hash: "SHA-256" },
    extensions: [new BasicConstraintsExtension(true, 0, true)],
  });
  const parsed = new X509Certificate(cert.toString("pem"));
  expect(parsed.subject).toBe("CN=kpm x509 test");
  expect(parsed.getExtension(BasicConstraintsExtension)?.ca).toBe(true);
});

test("it loads first in a fresh process: no reflect polyfill error", () => {
  const entry = join(import.meta.dir, "../src/index.ts");
  const result = Bun.spawnSync([
    process.execPath,
    "-e",
    `const x = await import(${JSON.stringify(entry)}); console.log(typeof x.X509Certificate)`,
  ]);
  expect(result.stderr.toString()).toBe("");
  expect(result.stdout.toString().trim()).toBe("function");
});
