import { afterAll, describe, expect, test } from "bun:test";
import { execFileSync, spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from "node:fs";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createServer, type DetailedPeerCertificate, type TLSSocket } from "node:tls";
import { COMPILE_FLAGS } from "../../../scripts/build.ts";
import { DevError } from "../src/errors.ts";
import { certificateNotAfter, earliestExpiry, enroll, formatDate, issueClient, renew } from "../src/pki.ts";

const FIXTURE = join(import.meta.dir, "../../../test/fixtures/agentkms-dev-v0.3.1/datadir");
const roots: string[] = [];

function tempRoot(): string {
  const root = mkdtempSync(join(tmpdir(), "kpm-pki-"));
  roots.push(root);
  return root;
}

afterAll(() => {
  for (const root of roots) rmSync(root, { recursive: true, force: true });
});

function openssl(...args: string[]): string {
  return execFileSync("openssl", args, { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
}

function certText(file: string): string {
  return openssl("x509", "-in", file, "-noout", "-text");
}

function mode(path: string): number {
  return statSync(path).mode & 0o777;
}

async function rejection(promise: Promise<unknown>): Promise<DevError> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof DevError) return error;
    throw error;
  }
  throw new Error("expected a DevError");
}

/** A node:tls server with the dev server's certificate that answers one HTTP response per connection. */
async function startTlsServer(dir: string) {
  const peers: DetailedPeerCertificate[] = [];
  const sockets = new Set<TLSSocket>();
  const server = createServer(
    {
      cert: readFileSync(join(dir, "server.crt")),
      key: readFileSync(join(dir, "server.key")),
      ca: readFileSync(join(dir, "ca.crt")),
      requestCert: true,
      rejectUnauthorized: true,
      minVersion: "TLSv1.3",
    },
    (socket: TLSSocket) => {
      sockets.add(socket);
      peers.push(socket.getPeerCertificate(true));
      socket.end("HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok");
    },
  );
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  // fetch may keep its side open; destroy our sockets so close() does not wait for it.
  const close = () =>
    new Promise<void>((resolve) => {
      server.close(() => resolve());
      for (const socket of sockets) socket.destroy();
    });
  return { port, peers, close };
}

function clientTls(dir: string, cn: string, caDir = dir) {
  return {
    cert: readFileSync(join(dir, "clients", cn, "client.crt"), "utf8"),
    key: readFileSync(join(dir, "clients", cn, "client.key"), "utf8"),
    ca: readFileSync(join(caDir, "ca.crt"), "utf8"),
  };
}

describe("enroll", () => {
  const dir = join(tempRoot(), "dev");
  const ready = enroll(dir);

  test("creates CA, CA key, server and default forge-gateway client", async () => {
    expect(await ready).toEqual({ created: "all" });
    for (const file of ["ca.crt", "ca.key", "server.crt", "server.key"]) {
      expect(existsSync(join(dir, file))).toBe(true);
    }
    for (const file of ["ca.crt", "client.crt", "client.key"]) {
      expect(existsSync(join(dir, "clients", "forge-gateway", file))).toBe(true);
    }
    expect(readFileSync(join(dir, "clients", "forge-gateway", "ca.crt"), "utf8")).toBe(
      readFileSync(join(dir, "ca.crt"), "utf8"),
    );
  });

  test("writes keys as SEC1 EC PRIVATE KEY PEM", async () => {
    await ready;
    for (const file of ["ca.key", "server.key", "clients/forge-gateway/client.key"]) {
      const pem = readFileSync(join(dir, file), "utf8");
      expect(pem.startsWith("-----BEGIN EC PRIVATE KEY-----\n")).toBe(true);
      expect(openssl("ec", "-in", join(dir, file), "-noout", "-text")).toContain("ASN1 OID: prime256v1");
    }
  });

  test("CA profile: subject, 10-year validity, critical CA basic constraints and key usage, SKI", async () => {
    await ready;
    const text = certText(join(dir, "ca.crt"));
    expect(text).toContain("Subject: O = AgentKMS Dev, CN = agentkms-dev-ca");
    expect(text).toContain("Issuer: O = AgentKMS Dev, CN = agentkms-dev-ca");
    expect(text).toContain("Signature Algorithm: ecdsa-with-SHA256");
    expect(text).toMatch(/X509v3 Basic Constraints: critical\n\s+CA:TRUE\n/);
    expect(text).toMatch(/X509v3 Key Usage: critical\n\s+Certificate Sign, CRL Sign\n/);
    expect(text).toContain("X509v3 Subject Key Identifier");
    const notAfter = certificateNotAfter(readFileSync(join(dir, "ca.crt"), "utf8"));
    const days = (notAfter.getTime() - Date.now()) / 86_400_000;
    expect(days).toBeGreaterThan(3649);
    expect(days).toBeLessThanOrEqual(3650);
  });

  test("server profile: subject, 1-year validity, serverAuth, SAN 127.0.0.1 and localhost, backdated", async () => {
    await ready;
    const file = join(dir, "server.crt");
    const text = certText(file);
    expect(text).toContain("Subject: O = AgentKMS Dev, CN = agentkms-dev\n");
    expect(text).toMatch(/X509v3 Key Usage: critical\n\s+Digital Signature\n/);
    expect(text).toMatch(/X509v3 Extended Key Usage: \n\s+TLS Web Server Authentication\n/);
    expect(text).toContain("DNS:localhost, IP Address:127.0.0.1");
    expect(text).toContain("X509v3 Authority Key Identifier");
    expect(openssl("verify", "-CAfile", join(dir, "ca.crt"), file)).toContain(": OK");
    const dates = openssl("x509", "-in", file, "-noout", "-startdate", "-enddate");
    const notBefore = Date.parse(/notBefore=(.*)/.exec(dates)?.[1] ?? "");
    const notAfter = Date.parse(/notAfter=(.*)/.exec(dates)?.[1] ?? "");
    expect(Date.now() - notBefore).toBeGreaterThanOrEqual(59_000);
    expect(notAfter - notBefore).toBe((365 * 86_400 + 60) * 1000);
  });

  test("client profile: O, OU team then caller, CN, clientAuth, spiffe SAN", async () => {
    await ready;
    const text = certText(join(dir, "clients", "forge-gateway", "client.crt"));
    expect(text).toContain(
      "Subject: O = AgentKMS Dev, OU = team:forge + OU = caller:forge-gateway, CN = forge-gateway",
    );
    expect(text).toMatch(/X509v3 Key Usage: critical\n\s+Digital Signature\n/);
    expect(text).toMatch(/X509v3 Extended Key Usage: \n\s+TLS Web Client Authentication\n/);
    expect(text).toContain("URI:spiffe://agentkms.dev/team/forge/identity/forge-gateway");
  });

  test("serials are positive 128-bit random values, distinct per certificate", async () => {
    await ready;
    const serials = ["ca.crt", "server.crt", "clients/forge-gateway/client.crt"].map((file) =>
      openssl("x509", "-in", join(dir, file), "-noout", "-serial").trim().replace("serial=", ""),
    );
    expect(new Set(serials).size).toBe(3);
    for (const serial of serials) {
      expect(serial).toMatch(/^[0-9A-F]+$/);
      expect(serial.length).toBeLessThanOrEqual(32);
      expect(serial.length).toBeGreaterThan(16);
    }
  });

  test("refuses to run again on an existing PKI without --force", async () => {
    await ready;
    const error = await rejection(enroll(dir));
    expect(error.code).toBe("pki_exists");
    expect(error.message).toBe(
      `PKI already exists in ${dir} (use --force to re-create it; existing secrets become unreadable)`,
    );
  });

  test("an existing client CN is refused without --force", async () => {
    await ready;
    const error = await rejection(enroll(dir, { clientCn: "forge-gateway" }));
    expect(error.code).toBe("pki_exists");
  });

  test("a new --client-cn issues only that client, with --ou and --team, without --force", async () => {
    await ready;
    const caBefore = readFileSync(join(dir, "ca.crt"), "utf8");
    const serverKeyBefore = readFileSync(join(dir, "server.key"), "utf8");
    expect(await enroll(dir, { clientCn: "alice", ou: "role:admin", team: "Platform" })).toEqual({
      created: "client",
    });
    expect(readFileSync(join(dir, "ca.crt"), "utf8")).toBe(caBefore);
    expect(readFileSync(join(dir, "server.key"), "utf8")).toBe(serverKeyBefore);
    const text = certText(join(dir, "clients", "alice", "client.crt"));
    expect(text).toContain("Subject: O = Platform, OU = role:admin + OU = caller:alice, CN = alice");
    expect(text).toContain("URI:spiffe://agentkms.dev/team/forge/identity/alice");
    expect(
      openssl("verify", "-CAfile", join(dir, "ca.crt"), join(dir, "clients/alice/client.crt")),
    ).toContain(": OK");
  });

  test("a client CN that is not a safe directory name is refused", async () => {
    await ready;
    for (const cn of ["../evil", "", "a/b", ".hidden"]) {
      const error = await rejection(enroll(dir, { clientCn: cn }));
      expect(error.code).toBe("invalid_cn");
    }
    expect(existsSync(join(dir, "..", "evil"))).toBe(false);
  });
});

describe("mTLS with the issued certificates", () => {
  const dir = join(tempRoot(), "dev");
  const otherDir = join(tempRoot(), "other");
  const ready = Promise.all([enroll(dir), enroll(otherDir, { clientCn: "intruder" })]);

  for (const host of ["127.0.0.1", "localhost"]) {
    test(`a TLS 1.3 handshake to https://${host} verifies the server and presents the client identity`, async () => {
      await ready;
      const server = await startTlsServer(dir);
      try {
        const response = await fetch(`https://${host}:${server.port}/healthz`, {
          tls: clientTls(dir, "forge-gateway"),
        });
        expect(response.status).toBe(200);
        expect(await response.text()).toBe("ok");
        const peer = server.peers[0];
        expect(peer?.subject.CN).toBe("forge-gateway");
        expect(peer?.subject.O).toBe("AgentKMS Dev");
        expect(peer?.subject.OU).toEqual(["team:forge", "caller:forge-gateway"]);
        expect(peer?.subjectaltname).toBe("URI:spiffe://agentkms.dev/team/forge/identity/forge-gateway");
        expect(peer?.issuerCertificate?.subject.CN).toBe("agentkms-dev-ca");
      } finally {
        await server.close();
      }
    });
  }

  test("a client certificate from another CA is rejected by the server", async () => {
    await ready;
    const server = await startTlsServer(dir);
    try {
      const attempt = fetch(`https://127.0.0.1:${server.port}/healthz`, {
        tls: clientTls(otherDir, "intruder", dir),
      }).then((response) => response.status);
      await expect(attempt).rejects.toThrow();
      expect(server.peers).toHaveLength(0);
    } finally {
      await server.close();
    }
  });

  test("a client does not accept a server from another dev CA", async () => {
    await ready;
    const server = await startTlsServer(otherDir);
    try {
      const attempt = fetch(`https://127.0.0.1:${server.port}/healthz`, {
        tls: clientTls(dir, "forge-gateway"),
      });
      await expect(attempt).rejects.toThrow();
    } finally {
      await server.close();
    }
  });
});

describe("file modes", () => {
  test("files are 0600 and directories 0700 even with umask 0", async () => {
    const dir = join(tempRoot(), "dev");
    const previous = process.umask(0);
    try {
      await enroll(dir);
      await issueClient(dir, "bob");
    } finally {
      process.umask(previous);
    }
    for (const path of [
      dir,
      join(dir, "clients"),
      join(dir, "clients", "forge-gateway"),
      join(dir, "clients", "bob"),
    ]) {
      expect(mode(path)).toBe(0o700);
    }
    for (const file of [
      "ca.crt",
      "ca.key",
      "server.crt",
      "server.key",
      "clients/forge-gateway/client.crt",
      "clients/forge-gateway/client.key",
      "clients/forge-gateway/ca.crt",
      "clients/bob/client.key",
    ]) {
      expect(mode(join(dir, file))).toBe(0o600);
    }
  });

  test("an existing data dir with loose permissions is tightened to 0700", async () => {
    const dir = tempRoot();
    execFileSync("chmod", ["0755", dir]);
    await enroll(dir);
    expect(mode(dir)).toBe(0o700);
  });
});

describe("enroll --force", () => {
  test("re-creates everything, drops old clients, and warns about an existing store", async () => {
    const dir = join(tempRoot(), "dev");
    await enroll(dir);
    await enroll(dir, { clientCn: "old-client" });
    writeFileSync(join(dir, "secrets.enc"), "old");
    const before = {
      ca: readFileSync(join(dir, "ca.crt"), "utf8"),
      serverKey: readFileSync(join(dir, "server.key"), "utf8"),
    };
    const result = await enroll(dir, { force: true });
    expect(result).toEqual({
      created: "all",
      warning: `${join(dir, "secrets.enc")} was encrypted with the old server key and can no longer be read`,
    });
    expect(readFileSync(join(dir, "ca.crt"), "utf8")).not.toBe(before.ca);
    expect(readFileSync(join(dir, "server.key"), "utf8")).not.toBe(before.serverKey);
    expect(existsSync(join(dir, "clients", "old-client"))).toBe(false);
    expect(readFileSync(join(dir, "secrets.enc"), "utf8")).toBe("old");
  });

  test("without a store there is no warning", async () => {
    const dir = join(tempRoot(), "dev");
    await enroll(dir);
    expect(await enroll(dir, { force: true, clientCn: "carol" })).toEqual({ created: "all" });
    expect(existsSync(join(dir, "clients", "carol", "client.crt"))).toBe(true);
    expect(existsSync(join(dir, "clients", "forge-gateway"))).toBe(false);
  });
});

describe("issueClient", () => {
  test("needs ca.key: a directory made by agentkms-dev cannot issue clients", async () => {
    const dir = join(tempRoot(), "dev");
    await enroll(dir);
    rmSync(join(dir, "ca.key"));
    const error = await rejection(issueClient(dir, "dave"));
    expect(error.code).toBe("no_pki");
    expect(error.message).toBe(`no CA key in ${dir} (ca.key); re-create the PKI with --force`);
    const viaEnroll = await rejection(enroll(dir, { clientCn: "dave" }));
    expect(viaEnroll.code).toBe("pki_exists");
  });

  test("needs a PKI", async () => {
    const dir = tempRoot();
    const error = await rejection(issueClient(dir, "dave"));
    expect(error.code).toBe("no_pki");
    expect(error.message).toBe(`no PKI in ${dir}; run: kpm dev enroll`);
  });

  test("a file where the data dir should be is reported as an io error naming the operation", async () => {
    const file = join(tempRoot(), "not-a-dir");
    writeFileSync(file, "");
    const error = await rejection(enroll(join(file, "dev")));
    expect(error.code).toBe("io");
    expect(error.message).toStartWith(`write PKI to ${join(file, "dev")}: `);
  });
});

/** Replaces `file` with a certificate for the same key and subject that expires in `days` days. */
function shortLived(dir: string, file: string, keyFile: string, days: number): void {
  const subject = openssl("x509", "-in", join(dir, file), "-noout", "-subject", "-nameopt", "compat")
    .trim()
    .replace("subject=", "");
  const csr = join(dir, "short.csr");
  openssl("req", "-new", "-key", join(dir, keyFile), "-subj", subject, "-out", csr);
  openssl(
    "x509",
    "-req",
    "-in",
    csr,
    "-CA",
    join(dir, "ca.crt"),
    "-CAkey",
    join(dir, "ca.key"),
    "-days",
    String(days),
    "-out",
    join(dir, file),
  );
  rmSync(csr);
}

describe("renew", () => {
  test("re-issues server and every client with the same keys and a later NotAfter", async () => {
    const dir = join(tempRoot(), "dev");
    await enroll(dir);
    await enroll(dir, { clientCn: "alice", ou: "role:admin", team: "Platform" });
    shortLived(dir, "server.crt", "server.key", 5);
    shortLived(dir, "clients/alice/client.crt", "clients/alice/client.key", 3);
    const keyFiles = ["ca.key", "server.key", "clients/alice/client.key", "clients/forge-gateway/client.key"];
    const keysBefore = keyFiles.map((file) => readFileSync(join(dir, file)));
    const caBefore = readFileSync(join(dir, "ca.crt"), "utf8");
    const soonest = earliestExpiry(dir);
    expect(soonest).not.toBeNull();
    expect(((soonest?.getTime() ?? 0) - Date.now()) / 86_400_000).toBeLessThan(3.01);

    const result = await renew(dir);

    expect(result.count).toBe(3);
    expect((result.validUntil.getTime() - Date.now()) / 86_400_000).toBeGreaterThan(364);
    keyFiles.forEach((file, index) => {
      expect(readFileSync(join(dir, file))).toEqual(keysBefore[index] ?? Buffer.alloc(0));
    });
    expect(readFileSync(join(dir, "ca.crt"), "utf8")).toBe(caBefore);
    expect(((earliestExpiry(dir)?.getTime() ?? 0) - Date.now()) / 86_400_000).toBeGreaterThan(364);
    const alice = certText(join(dir, "clients", "alice", "client.crt"));
    expect(alice).toContain("Subject: O = Platform, OU = role:admin + OU = caller:alice, CN = alice");
    expect(alice).toContain("URI:spiffe://agentkms.dev/team/forge/identity/alice");
    expect(alice).toMatch(/TLS Web Client Authentication/);
    expect(certText(join(dir, "server.crt"))).toContain("DNS:localhost, IP Address:127.0.0.1");
    // The renewed certificates still match their unchanged keys: the handshake works.
    const server = await startTlsServer(dir);
    try {
      const response = await fetch(`https://localhost:${server.port}/`, { tls: clientTls(dir, "alice") });
      expect(response.status).toBe(200);
      expect(server.peers[0]?.subject.OU).toEqual(["role:admin", "caller:alice"]);
    } finally {
      await server.close();
    }
  });

  test("refuses when the CA expires within 30 days", async () => {
    const dir = join(tempRoot(), "dev");
    await enroll(dir);
    const caFile = join(dir, "ca.crt");
    openssl(
      "req",
      "-x509",
      "-key",
      join(dir, "ca.key"),
      "-subj",
      "/O=AgentKMS Dev/CN=agentkms-dev-ca",
      "-days",
      "10",
      "-out",
      caFile,
    );
    const serverBefore = readFileSync(join(dir, "server.crt"), "utf8");
    const expires = certificateNotAfter(readFileSync(caFile, "utf8"));
    const error = await rejection(renew(dir));
    expect(error.code).toBe("ca_expiring");
    expect(error.message).toBe(
      `the dev CA expires on ${formatDate(expires)}; re-create the PKI with --force`,
    );
    expect(readFileSync(join(dir, "server.crt"), "utf8")).toBe(serverBefore);
  });

  test("without a PKI it says to enroll", async () => {
    const dir = tempRoot();
    const error = await rejection(renew(dir));
    expect(error.code).toBe("no_pki");
  });
});

describe("certificate dates", () => {
  test("certificateNotAfter reads a certificate written by agentkms-dev", () => {
    expect(certificateNotAfter(readFileSync(join(FIXTURE, "server.crt"), "utf8")).toISOString()).toBe(
      "2027-11-28T20:06:26.000Z",
    );
  });

  test("earliestExpiry covers CA, server and clients; null without certificates", () => {
    expect(earliestExpiry(FIXTURE)?.toISOString()).toBe("2027-11-28T20:06:26.000Z");
    expect(earliestExpiry(tempRoot())).toBeNull();
  });

  test("a certificate or CA key linked to /dev/zero fails at once, naming the file", async () => {
    const dir = tempRoot();
    await enroll(dir);
    const serverCert = join(dir, "server.crt");
    rmSync(serverCert);
    symlinkSync("/dev/zero", serverCert);
    expect(() => earliestExpiry(dir)).toThrow(`read ${serverCert}: file too large (max 1 MiB)`);
    const caKey = join(dir, "ca.key");
    rmSync(caKey);
    symlinkSync("/dev/urandom", caKey);
    const error = await rejection(issueClient(dir, "bob"));
    expect(error.message).toBe(`read ${caKey}: file too large (max 1 MiB)`);
  });

  test("formatDate prints the UTC calendar date", () => {
    expect(formatDate(new Date("2036-11-25T23:59:59Z"))).toBe("2036-11-25");
  });
});

describe("compiled binary", () => {
  test("enroll works inside a bun build --compile binary (reflect-metadata is bundled)", () => {
    const root = tempRoot();
    const binary = join(root, "enroll-bin");
    const build = spawnSync(
      process.execPath,
      ["build", ...COMPILE_FLAGS, join(import.meta.dir, "helpers", "enroll-entry.ts"), "--outfile", binary],
      { encoding: "utf8" },
    );
    expect(build.stderr).not.toContain("error");
    expect(build.status).toBe(0);
    const dir = join(root, "dev");
    const run = spawnSync(binary, [dir], { encoding: "utf8", cwd: root });
    expect(run.stderr).toBe("");
    expect(run.stdout.trim()).toBe("all");
    expect(openssl("verify", "-CAfile", join(dir, "ca.crt"), join(dir, "server.crt"))).toContain(": OK");
  });
});
