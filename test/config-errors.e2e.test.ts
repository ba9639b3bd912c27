// End to end: bad configuration and bad input for the registry commands and `get` (spec §4.3,
// §6.5, §11.1): the exact texts, exit codes, nothing on stdout, no request that should not be
// made, and never the planted value in any message.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { chmodSync, copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { enroll } from "@kpm/agentkms-dev";
import {
  createSandbox,
  type KpmResult,
  kpmCommand,
  readAuditEvents,
  runKpmProcess,
  type Sandbox,
  startDevServerForTest,
  type TestDevServer,
  writeKpmConfig,
} from "./helpers/kpm-env.ts";
import { AS_NOBODY } from "./helpers/processes.ts";
import { runToEnd } from "./helpers/run-to-end.ts";

const MARKER = "mk-c0nf1g-never-print-me";
const MISSING_CONFIG =
  "error: server, cert, key, and ca are required (set via config or flags)\n" +
  "run: kpm quickstart (or kpm init to configure an existing AgentKMS)\n";

let server: TestDevServer;
/** A sandbox with a working config for `server`. */
let ok: Sandbox;

function kpmIn(box: Sandbox, args: string[], input?: string): Promise<KpmResult> {
  return runKpmProcess(args, { env: box.env, input });
}

function expectNoMarker(result: KpmResult): void {
  expect(result.stdout).not.toContain(MARKER);
  expect(result.stderr).not.toContain(MARKER);
}

/** Writes `<home>/.config/kpm/config.yaml` with exactly `text`. */
function writeRawConfig(box: Sandbox, text: string): string {
  const dir = join(box.home, ".config", "kpm");
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const path = join(dir, "config.yaml");
  writeFileSync(path, text, { mode: 0o600 });
  return path;
}

function secretWrites(): number {
  return readAuditEvents(server).filter((event) => event.operation === "secret_write").length;
}

/** Runs a body with a fresh sandbox that is removed afterwards. */
async function withSandbox(body: (box: Sandbox) => Promise<void>): Promise<void> {
  const box = createSandbox();
  try {
    await body(box);
  } finally {
    box.cleanup();
  }
}

beforeAll(async () => {
  server = await startDevServerForTest();
  ok = createSandbox();
  writeKpmConfig(ok.home, server);
});

afterAll(async () => {
  await server.stop();
  rmSync(server.dir, { recursive: true, force: true });
  ok.cleanup();
});

describe("missing or partial configuration", () => {
  test("every server command prints both lines of §4.3 and exits 1 without a config file", async () => {
    await withSandbox(async (box) => {
      for (const args of [
        ["list"],
        ["describe", "svc/x"],
        ["history", "svc/x"],
        ["remove", "svc/x", "--yes"],
        ["get", "svc/x"],
        ["add", "svc/x"],
      ]) {
        const result = await kpmIn(box, args, MARKER);
        expect({ args, ...result }).toEqual({ args, code: 1, stdout: "", stderr: MISSING_CONFIG });
      }
    });
  });

  test("a config with only some of server, cert, key and ca is incomplete", async () => {
    await withSandbox(async (box) => {
      writeRawConfig(box, `server: ${server.addr}\ncert: ${server.clientFiles.cert}\n`);
      expect(await kpmIn(box, ["list"])).toEqual({ code: 1, stdout: "", stderr: MISSING_CONFIG });
    });
  });

  test("flags complete a partial config, relative to the current directory and with ~ expanded", async () => {
    await withSandbox(async (box) => {
      writeRawConfig(box, `server: ${server.addr}\n`);
      const pki = join(box.home, "pki");
      mkdirSync(pki);
      copyFileSync(server.clientFiles.cert, join(pki, "client.crt"));
      copyFileSync(server.clientFiles.key, join(pki, "client.key"));
      copyFileSync(server.clientFiles.ca, join(pki, "ca.crt"));
      const result = await runKpmProcess(
        ["list", "--cert", "pki/client.crt", "--key", "~/pki/client.key", "--ca", "./pki/ca.crt"],
        { env: box.env, cwd: box.home },
      );
      expect(result.stderr).toBe("");
      expect(result.code).toBe(0);
    });
  });

  test("a config file that does not parse is fatal with its path", async () => {
    await withSandbox(async (box) => {
      const path = writeRawConfig(box, "server: [unclosed\n");
      const result = await kpmIn(box, ["list"]);
      expect(result.code).toBe(1);
      expect(result.stdout).toBe("");
      expect(result.stderr).toStartWith(`error: config parse error: parse config ${path}: `);
      writeRawConfig(box, `server: ${server.addr}\nsession_key_ttl: soon\n`);
      const typed = await kpmIn(box, ["list"]);
      expect(typed.code).toBe(1);
      expect(typed.stderr).toStartWith(`error: config parse error: parse config ${path}: session_key_ttl`);
    });
  });

  test("--config names another file; its relative paths are relative to that file", async () => {
    await withSandbox(async (box) => {
      const elsewhere = join(box.root, "cfg");
      mkdirSync(elsewhere);
      copyFileSync(server.clientFiles.cert, join(elsewhere, "c.crt"));
      copyFileSync(server.clientFiles.key, join(elsewhere, "c.key"));
      copyFileSync(server.clientFiles.ca, join(elsewhere, "ca.crt"));
      writeFileSync(
        join(elsewhere, "kpm.yaml"),
        `server: ${server.addr}/\ncert: c.crt\nkey: c.key\nca: ca.crt\n`,
      );
      const result = await kpmIn(box, ["list", "--config", join(elsewhere, "kpm.yaml")]);
      expect(result.stderr).toBe("");
      expect(result.code).toBe(0);
    });
  });
});

describe("client construction failures", () => {
  test("a non-https server is refused before any connection", async () => {
    await withSandbox(async (box) => {
      writeKpmConfig(box.home, { ...server, addr: "http://127.0.0.1:1" });
      expect(await kpmIn(box, ["list"])).toEqual({
        code: 1,
        stdout: "",
        stderr: 'error creating client: server URL must start with https:// (got "http://127.0.0.1:1")\n',
      });
    });
  });

  test("a missing key file names the file and the reason", async () => {
    await withSandbox(async (box) => {
      const key = join(box.root, "absent.key");
      writeKpmConfig(box.home, { ...server, clientFiles: { ...server.clientFiles, key } });
      expect(await kpmIn(box, ["get", "svc/x"])).toEqual({
        code: 1,
        stdout: "",
        stderr: `error creating client: TLS config: read key ${key}: no such file or directory\n`,
      });
    });
  });

  test("a cert that is a directory names the file and the reason", async () => {
    await withSandbox(async (box) => {
      writeKpmConfig(box.home, { ...server, clientFiles: { ...server.clientFiles, cert: box.tmp } });
      expect((await kpmIn(box, ["list"])).stderr).toBe(
        `error creating client: TLS config: read cert ${box.tmp}: is a directory\n`,
      );
    });
  });

  test("a garbage CA or client PEM gives the tlsutil texts", async () => {
    await withSandbox(async (box) => {
      const garbage = join(box.root, "garbage.pem");
      writeFileSync(garbage, `-----BEGIN CERTIFICATE-----\n${MARKER}\n-----END CERTIFICATE-----\n`);
      writeKpmConfig(box.home, { ...server, clientFiles: { ...server.clientFiles, ca: garbage } });
      const badCa = await kpmIn(box, ["list"]);
      expect(badCa).toEqual({
        code: 1,
        stdout: "",
        stderr: "error creating client: TLS config: tlsutil: failed to parse root CA certificates\n",
      });
      writeKpmConfig(box.home, { ...server, clientFiles: { ...server.clientFiles, cert: garbage } });
      const badCert = await kpmIn(box, ["list"]);
      expect(badCert.code).toBe(1);
      expect(badCert.stderr).toStartWith(
        "error creating client: TLS config: tlsutil: parse client key pair: ",
      );
      expectNoMarker(badCert);
    });
  });

  test("a cert file the user cannot read (run as nobody) → permission denied", async () => {
    await withSandbox(async (box) => {
      // Root reads everything, so the fault needs another uid: let nobody traverse the sandbox.
      const pki = join(box.root, "pki");
      mkdirSync(pki);
      const cert = join(pki, "client.crt");
      copyFileSync(server.clientFiles.cert, cert);
      copyFileSync(server.clientFiles.key, join(pki, "client.key"));
      copyFileSync(server.clientFiles.ca, join(pki, "ca.crt"));
      const configPath = writeKpmConfig(box.home, {
        ...server,
        clientFiles: { cert, key: join(pki, "client.key"), ca: join(pki, "ca.crt") },
      });
      for (const dir of [
        box.root,
        box.home,
        join(box.home, ".config"),
        join(box.home, ".config", "kpm"),
        pki,
      ]) {
        chmodSync(dir, 0o711);
      }
      chmodSync(configPath, 0o644);
      chmodSync(join(pki, "client.key"), 0o644);
      chmodSync(join(pki, "ca.crt"), 0o644);
      chmodSync(cert, 0o600);
      const nobodyTmp = mkdtempSync("/tmp/kn-");
      chmodSync(nobodyTmp, 0o777);
      try {
        const result = await runToEnd([...AS_NOBODY, ...kpmCommand(), "list"], {
          env: { ...box.env, TMPDIR: nobodyTmp },
          cwd: "/",
        });
        expect(result).toEqual({
          code: 1,
          stdout: "",
          stderr: `error creating client: TLS config: read cert ${cert}: permission denied\n`,
        });
      } finally {
        rmSync(nobodyTmp, { recursive: true, force: true });
      }
    });
  });
});

describe("transport failures", () => {
  test("a server certificate from another CA gives the §6.5 text naming the configured CA", async () => {
    const foreign = mkdtempSync("/tmp/kf-");
    try {
      await enroll(foreign);
      await withSandbox(async (box) => {
        const ca = join(foreign, "ca.crt");
        writeKpmConfig(box.home, { ...server, clientFiles: { ...server.clientFiles, ca } });
        const reason = `server certificate is not signed by the configured CA (${ca})`;
        // Authentication is the first request, so it is the operation that fails (§6.1, §6.5).
        expect(await kpmIn(box, ["list"])).toEqual({
          code: 1,
          stdout: "",
          stderr: `error: authenticate: ${reason}\n`,
        });
        const before = secretWrites();
        const added = await kpmIn(box, ["add", "svc/foreign"], MARKER);
        expect(added).toEqual({
          code: 1,
          stdout: "",
          stderr: `error: store secret: authenticate: ${reason}\n`,
        });
        expect(secretWrites()).toBe(before);
        const got = await kpmIn(box, ["get", "svc/foreign:-fallback"]);
        expect(got).toEqual({
          code: 1,
          stdout: "",
          stderr: `unknown ref type "svc" and registry fetch failed: authenticate: ${reason}\n`,
        });
      });
    } finally {
      rmSync(foreign, { recursive: true, force: true });
    }
  });

  test("a server that is down → connection refused with the URL; no default is used", async () => {
    const down = await startDevServerForTest();
    await down.stop();
    await withSandbox(async (box) => {
      writeKpmConfig(box.home, down);
      const reason = `connection refused (${down.addr}) — is AgentKMS running?`;
      expect(await kpmIn(box, ["list"])).toEqual({
        code: 1,
        stdout: "",
        stderr: `error: authenticate: ${reason}\n`,
      });
      expect(await kpmIn(box, ["get", "kv/db#pw:-fallback"])).toEqual({
        code: 1,
        stdout: "",
        stderr: `error: authenticate: ${reason}\n`,
      });
      const added = await kpmIn(box, ["add", "svc/down"], MARKER);
      expect(added.code).toBe(1);
      expect(added.stderr).toBe(`error: store secret: authenticate: ${reason}\n`);
      expectNoMarker(added);
    });
    rmSync(down.dir, { recursive: true, force: true });
  });
});

describe("flags after the command word", () => {
  test("--server after the reference or the command wins over the config's server", async () => {
    const down = await startDevServerForTest();
    await down.stop();
    await withSandbox(async (box) => {
      // The config names a stopped server; only the flag leads to the live one.
      writeKpmConfig(box.home, { ...server, addr: down.addr });
      expect(await kpmIn(box, ["get", "svc/absent", "--server", server.addr])).toEqual({
        code: 1,
        stdout: "",
        stderr: 'unknown ref type "svc" and registry fetch failed: secret not found: svc/absent\n',
      });
      const listed = await kpmIn(box, ["list", "--server", server.addr]);
      expect(listed.code).toBe(0);
      expect(listed.stderr).toBe("");
      // Without the flag the config is used: connection refused.
      expect((await kpmIn(box, ["list"])).stderr).toBe(
        `error: authenticate: connection refused (${down.addr}) — is AgentKMS running?\n`,
      );
    });
    rmSync(down.dir, { recursive: true, force: true });
  });
});

describe("bad input to kpm add", () => {
  test("no path prints both usage lines, exit 2", async () => {
    expect(await kpmIn(ok, ["add"], MARKER)).toEqual({
      code: 2,
      stdout: "",
      stderr:
        "kpm add: path required (e.g. kpm add cloudflare/dns-token)\n" +
        "  or use: kpm add --service cloudflare --name dns-token\n",
    });
  });

  test("a path without / is refused as a usage error", async () => {
    expect(await kpmIn(ok, ["add", "justname"], MARKER)).toEqual({
      code: 2,
      stdout: "",
      stderr:
        "error: path must be service/name (e.g. cloudflare/dns-token)\nRun 'kpm add --help' for usage.\n",
    });
  });

  test("an empty value (or only newlines) is refused and nothing is written", async () => {
    const before = secretWrites();
    for (const input of ["", "\n\n"]) {
      expect(await kpmIn(ok, ["add", "svc/empty"], input)).toEqual({
        code: 1,
        stdout: "",
        stderr: "error: empty value\n",
      });
    }
    expect(secretWrites()).toBe(before);
  });

  test("a 2 MiB value is refused and never sent: piped, reading stops at 1 MiB; a file, by its size", async () => {
    const before = secretWrites();
    const value = MARKER.repeat(Math.ceil((2 * 1024 * 1024) / MARKER.length)).slice(0, 2 * 1024 * 1024);
    const result = await kpmIn(ok, ["add", "svc/huge"], value);
    expect(result).toEqual({
      code: 1,
      stdout: "",
      stderr:
        "error: value too large (more than 1048576 bytes; AgentKMS accepts at most 1 MiB per request)\n",
    });
    const file = join(ok.root, "huge.txt");
    writeFileSync(file, value);
    expect(await kpmIn(ok, ["add", "svc/huge", "--from-file", file])).toEqual({
      code: 1,
      stdout: "",
      stderr: "error: value too large (2097152 bytes; AgentKMS accepts at most 1 MiB per request)\n",
    });
    expect(secretWrites()).toBe(before);
  });

  test("the limit is 1,000,000 bytes: one more is refused, exactly that many is stored", async () => {
    const over = await kpmIn(ok, ["add", "svc/limit"], "x".repeat(1_000_001));
    expect(over.stderr).toBe(
      "error: value too large (1000001 bytes; AgentKMS accepts at most 1 MiB per request)\n",
    );
    const at = await kpmIn(ok, ["add", "svc/limit"], "x".repeat(1_000_000));
    expect(at).toEqual({ code: 0, stdout: "", stderr: "Stored svc/limit v1 [generic]\n" });
  });

  test("a value that is not UTF-8 is refused", async () => {
    const file = join(ok.root, "binary.bin");
    writeFileSync(file, Buffer.concat([Buffer.from(MARKER), Buffer.from([0xff, 0xfe, 0x00])]));
    const before = secretWrites();
    const result = await kpmIn(ok, ["add", "svc/binary", "--from-file", file]);
    expect(result).toEqual({
      code: 1,
      stdout: "",
      stderr: "error: value is not valid UTF-8; encode binary secrets (for example base64) before storing\n",
    });
    expect(secretWrites()).toBe(before);
  });

  test("an unreadable --from-file names the file", async () => {
    const missing = join(ok.root, "nope.txt");
    expect(await kpmIn(ok, ["add", "svc/file", "--from-file", missing])).toEqual({
      code: 1,
      stdout: "",
      stderr: `error: read file: ${missing}: no such file or directory\n`,
    });
  });

  test.each([
    "tomorrow",
    "2026-13-01",
    "2026-02-30",
    "2027-02-29",
    "2026-12-31 10:00",
    "2026-12-31T24:00:00Z",
    "2026-12-31T10:00:60Z",
    "2026-12-31T10:00:00+25:00",
    "2026-12-31T10:00:00",
  ])("--expires %p is refused with the accepted formats", async (value) => {
    const result = await kpmIn(ok, ["add", "svc/exp", "--expires", value], MARKER);
    expect(result).toEqual({
      code: 1,
      stdout: "",
      stderr: `error: invalid --expires "${value}": use RFC 3339 (2026-12-31T00:00:00Z) or YYYY-MM-DD\n`,
    });
  });

  test("real dates are accepted: a leap day, and RFC 3339 with an offset kept verbatim", async () => {
    expect((await kpmIn(ok, ["add", "svc/leap", "--expires", "2028-02-29"], "v")).code).toBe(0);
    expect(
      (await kpmIn(ok, ["add", "svc/offset", "--expires", "2030-06-01T12:30:00.5+02:00"], "v")).code,
    ).toBe(0);
    const listed = JSON.parse((await kpmIn(ok, ["list", "svc", "--json"])).stdout) as Array<{
      path: string;
      expires?: string;
    }>;
    expect(listed.find((entry) => entry.path === "svc/leap")?.expires).toBe("2028-02-29T00:00:00Z");
    expect(listed.find((entry) => entry.path === "svc/offset")?.expires).toBe("2030-06-01T12:30:00.5+02:00");
  });

  test("an invalid registry path is refused by the client before any request", async () => {
    const result = await kpmIn(ok, ["add", "svc//double"], MARKER);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/^error: store secret: invalid path "svc\/\/double": .+\n$/);
    expectNoMarker(result);
  });
});
