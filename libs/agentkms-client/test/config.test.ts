import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { chmodSync, copyFileSync, mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { AgentKmsError, type ClientConfig, createClient } from "../src/index.ts";
import { loadTlsMaterial } from "../src/tls-material.ts";
import { createPki, type Pki } from "./helpers/pki.ts";

let pki: Pki;
let scratch: string;

beforeAll(() => {
  pki = createPki();
  scratch = join(pki.dir, "scratch");
  mkdirSync(scratch);
});
afterAll(() => pki.remove());

function config(overrides: Partial<ClientConfig> = {}): ClientConfig {
  return {
    server: "https://127.0.0.1:8443",
    cert: pki.clientCert,
    key: pki.clientKey,
    ca: pki.caCert,
    ...overrides,
  };
}

function file(name: string, content: string): string {
  const path = join(scratch, name);
  writeFileSync(path, content);
  return path;
}

function constructionError(overrides: Partial<ClientConfig>): AgentKmsError {
  try {
    createClient(config(overrides)).close();
  } catch (error) {
    if (error instanceof AgentKmsError) return error;
    throw error;
  }
  throw new Error("expected createClient to fail");
}

describe("server URL", () => {
  for (const server of ["http://127.0.0.1:8443", "127.0.0.1:8443", "HTTPS://x", ""]) {
    test(`${JSON.stringify(server)} is refused`, () => {
      const error = constructionError({ server });
      expect(error.code).toBe("config");
      expect(error.message).toBe(`server URL must start with https:// (got ${JSON.stringify(server)})`);
    });
  }

  test("an https URL that does not parse is refused", () => {
    expect(constructionError({ server: "https://" }).message).toBe('invalid server URL "https://"');
  });

  test("a valid config builds a client without any network traffic", () => {
    const client = createClient(config({ server: "https://127.0.0.1:1/" }));
    expect(typeof client.fetchGeneric).toBe("function");
    client.close();
  });
});

describe("PEM files", () => {
  test("a missing CA file", () => {
    const ca = join(scratch, "absent.crt");
    expect(constructionError({ ca }).message).toBe(`TLS config: read CA ${ca}: no such file or directory`);
  });

  test("a directory as the cert", () => {
    expect(constructionError({ cert: scratch }).message).toBe(
      `TLS config: read cert ${scratch}: is a directory`,
    );
  });

  test("a cert, key or CA of /dev/zero or /dev/urandom is refused at 1 MiB at once", () => {
    for (const device of ["/dev/zero", "/dev/urandom"]) {
      for (const [field, label] of [
        ["cert", "cert"],
        ["key", "key"],
        ["ca", "CA"],
      ] as const) {
        const started = performance.now();
        expect(constructionError({ [field]: device }).message).toBe(
          `TLS config: read ${label} ${device}: file too large (max 1 MiB)`,
        );
        expect(performance.now() - started).toBeLessThan(1000);
      }
    }
  });

  test("a key path through a regular file", () => {
    const key = join(pki.clientKey, "nested");
    expect(constructionError({ key }).message).toBe(`TLS config: read key ${key}: not a directory`);
  });

  test("an unreadable key (run as nobody) reads permission denied", () => {
    const key = join(scratch, "root-only.key");
    copyFileSync(pki.clientKey, key);
    chmodSync(key, 0o600);
    chmodSync(pki.dir, 0o755);
    chmodSync(scratch, 0o755);
    const script = `const { loadTlsMaterial } = await import(${JSON.stringify(join(import.meta.dir, "../src/tls-material.ts"))});
try { loadTlsMaterial({ ca: ${JSON.stringify(pki.caCert)}, cert: ${JSON.stringify(pki.clientCert)}, key: ${JSON.stringify(key)} }); console.log("loaded"); }
catch (error) { console.log(error.message); }`;
    const result = Bun.spawnSync(
      ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", process.execPath, "-e", script],
      {
        stdout: "pipe",
        stderr: "pipe",
        env: { ...process.env, HOME: "/tmp", BUN_INSTALL_CACHE_DIR: "/tmp" },
      },
    );
    const output = result.stdout.toString().trim();
    if (process.getuid?.() !== 0) {
      expect(output).toBe("loaded");
      return;
    }
    expect(output).toBe(`TLS config: read key ${key}: permission denied`);
  });

  test("a CA file without certificates", () => {
    const ca = file("junk-ca.crt", "not a certificate\n");
    expect(constructionError({ ca }).message).toBe(
      "TLS config: tlsutil: failed to parse root CA certificates",
    );
  });

  test("a CA file with a broken block and a good one is accepted, using the good one", async () => {
    const good = await Bun.file(pki.caCert).text();
    const ca = file("mixed-ca.crt", `-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n${good}`);
    const material = loadTlsMaterial({ ca, cert: pki.clientCert, key: pki.clientKey });
    expect(material.ca.trim()).toBe(good.trim());
  });

  test("a cert file without PEM data", () => {
    const cert = file("junk.crt", "nothing here");
    expect(constructionError({ cert }).message).toBe(
      "TLS config: tlsutil: parse client key pair: tls: failed to find any PEM data in certificate input",
    );
  });

  test("a cert file with a malformed certificate", () => {
    const cert = file("bad.crt", "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n");
    expect(constructionError({ cert }).message).toBe(
      "TLS config: tlsutil: parse client key pair: x509: malformed certificate",
    );
  });

  test("a key file without PEM data", () => {
    const key = file("junk.key", "nothing here");
    expect(constructionError({ key }).message).toBe(
      "TLS config: tlsutil: parse client key pair: tls: failed to find any PEM data in key input",
    );
  });

  test("a key file that does not parse", () => {
    const key = file("bad.key", "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n");
    expect(constructionError({ key }).message).toBe(
      "TLS config: tlsutil: parse client key pair: tls: failed to parse private key",
    );
  });

  test("a key that belongs to another certificate, without echoing the key", async () => {
    const error = constructionError({ key: pki.foreignClientKey });
    expect(error.message).toBe(
      "TLS config: tlsutil: parse client key pair: tls: private key does not match public key",
    );
    const keyText = await Bun.file(pki.foreignClientKey).text();
    expect(error.message).not.toContain(keyText.split("\n")[1] ?? "unreachable");
  });

  test("SEC1, PKCS#8 and RSA keys all load", () => {
    const pkcs8 = join(scratch, "client.pkcs8.key");
    const converted = Bun.spawnSync([
      "openssl",
      "pkcs8",
      "-topk8",
      "-nocrypt",
      "-in",
      pki.clientKey,
      "-out",
      pkcs8,
    ]);
    expect(converted.exitCode).toBe(0);
    expect(Bun.file(pki.clientKey).size).toBeGreaterThan(0);
    for (const [cert, key] of [
      [pki.clientCert, pki.clientKey],
      [pki.clientCert, pkcs8],
      [pki.rsaClientCert, pki.rsaClientKey],
    ] as const) {
      const material = loadTlsMaterial({ ca: pki.caCert, cert, key });
      expect(new TextDecoder().decode(material.key)).toContain("PRIVATE KEY");
    }
  });
});
