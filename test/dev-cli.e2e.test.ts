// End to end: `kpm dev enroll|serve|secrets|status|stop` (spec §15, wire §6.1–6.2), each run as a
// real process from source against real files, real ports and a real mTLS server; a smoke subset
// is repeated with the compiled dist/kpm.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { createClient } from "@kpm/agentkms-client";
import { certificateNotAfter, formatDate, SecretStore } from "@kpm/agentkms-dev";
import { isPidAlive } from "@kpm/libc";
import { certificateWarning } from "../apps/kpm/src/commands/dev/shared.ts";
import {
  createSandbox,
  KPM_BINARY,
  type KpmResult,
  kpmCommand,
  runKpmProcess,
  type Sandbox,
  writeKpmConfig,
} from "./helpers/kpm-env.ts";
import { openssl, reissueCertificate } from "./helpers/openssl.ts";

/** Planted values: they must reach the store and the vending route, and never any message. */
const PASSWORD = "pw-5c1d0e-never-print-me";
const API_KEY = "sk-ant-9b7e2f-never-print-me";

let sandbox: Sandbox;
let dirCount = 0;
/** Processes a test started that must not outlive the file (killed in afterAll if still alive). */
const started = new Set<number>();

beforeAll(() => {
  sandbox = createSandbox();
});

afterAll(() => {
  for (const pid of started) {
    if (isPidAlive(pid)) process.kill(pid, "SIGTERM");
  }
  sandbox.cleanup();
});

/** A fresh, not yet existing dev dir inside the sandbox (short, so nothing nears path limits). */
function freshDir(): string {
  dirCount += 1;
  return join(sandbox.root, `d${dirCount}`);
}

function kpm(
  args: string[],
  opts: { input?: string; env?: Record<string, string | undefined>; binary?: boolean } = {},
): Promise<KpmResult> {
  return runKpmProcess(args, {
    env: { ...sandbox.env, ...opts.env },
    input: opts.input,
    binary: opts.binary,
  });
}

async function enrolled(extra: string[] = []): Promise<string> {
  const dir = freshDir();
  const result = await kpm(["dev", "enroll", "--dir", dir, ...extra]);
  expect(result).toEqual({ code: 0, stdout: "", stderr: `✓ PKI written to ${dir}\n` });
  return dir;
}

/** Subjects in certificate order (RFC2253 output would reverse it, hiding which OU comes first). */
const SUBJECT_FORMAT = "esc_2253,sep_comma_plus,sname";

/** Every file and directory under `dir` with its permission bits. */
function modes(dir: string): Map<string, number> {
  const found = new Map<string, number>([[".", statSync(dir).mode & 0o777]]);
  for (const name of readdirSync(dir, { recursive: true }) as string[]) {
    found.set(name, statSync(join(dir, name)).mode & 0o777);
  }
  return found;
}

function expectPrivateTree(dir: string): void {
  for (const [name, mode] of modes(dir)) {
    const isDir = statSync(join(dir, name)).isDirectory();
    expect({ name, mode: mode.toString(8) }).toEqual({ name, mode: isDir ? "700" : "600" });
  }
}

function clientFilesOf(dir: string, cn = "forge-gateway") {
  const base = join(dir, "clients", cn);
  return { cert: join(base, "client.crt"), key: join(base, "client.key"), ca: join(base, "ca.crt") };
}

/** Replaces `<dir>/<file>` with a certificate for the same key, signed by the dev CA, valid `days`. */
function reissueShortLived(dir: string, days: number): void {
  reissueCertificate({
    key: join(dir, "server.key"),
    subject: "/O=AgentKMS Dev/CN=agentkms-dev",
    extensions: ["subjectAltName=IP:127.0.0.1,DNS:localhost", "extendedKeyUsage=serverAuth"],
    caDir: dir,
    serial: 4242,
    days,
    out: join(dir, "server.crt"),
  });
}

interface ForegroundServer {
  process: Bun.Subprocess<"ignore", "pipe", "pipe">;
  firstLine: string;
  port: number;
  /** Everything the server printed on stdout, once it has exited. */
  output: Promise<string>;
  stderr: Promise<string>;
}

/** `kpm dev serve …` as a foreground child; resolves once its first stdout line is out. */
async function serveForeground(args: string[]): Promise<ForegroundServer> {
  const child = Bun.spawn([...kpmCommand(false), "dev", "serve", ...args], {
    env: sandbox.env,
    cwd: sandbox.home,
    stdin: "ignore",
    stdout: "pipe",
    stderr: "pipe",
  });
  started.add(child.pid);
  const stderr = new Response(child.stderr).text();
  const reader = child.stdout.getReader();
  const decoder = new TextDecoder();
  let seen = "";
  while (!seen.includes("\n")) {
    const { done, value } = await reader.read();
    if (done) throw new Error(`kpm dev serve exited before its first line: ${seen}${await stderr}`);
    seen += decoder.decode(value, { stream: true });
  }
  const firstLine = seen.slice(0, seen.indexOf("\n"));
  const port = Number(/:(\d+) \(dir /.exec(firstLine)?.[1] ?? Number.NaN);
  const output = (async () => {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) return seen;
      seen += decoder.decode(value, { stream: true });
    }
  })();
  return { process: child, firstLine, port, output, stderr };
}

async function healthzOk(dir: string, addr: string): Promise<boolean> {
  const client = createClient({ server: `https://${addr}`, ...clientFilesOf(dir) });
  try {
    return await client.healthz();
  } finally {
    client.close();
  }
}

describe("kpm dev enroll", () => {
  test("writes the PKI with 0600 files in 0700 dirs even under umask 0", async () => {
    const dir = freshDir();
    const result = Bun.spawnSync(
      ["sh", "-c", 'umask 0 && exec "$@"', "sh", ...kpmCommand(false), "dev", "enroll", "--dir", dir],
      {
        env: sandbox.env,
        cwd: sandbox.home,
        stdout: "pipe",
        stderr: "pipe",
      },
    );
    expect({
      code: result.exitCode,
      stdout: result.stdout.toString(),
      stderr: result.stderr.toString(),
    }).toEqual({
      code: 0,
      stdout: "",
      stderr: `✓ PKI written to ${dir}\n`,
    });
    expect([...modes(dir).keys()].sort()).toEqual(
      [
        ".",
        "ca.crt",
        "ca.key",
        "clients",
        "clients/forge-gateway",
        "clients/forge-gateway/ca.crt",
        "clients/forge-gateway/client.crt",
        "clients/forge-gateway/client.key",
        "server.crt",
        "server.key",
      ].sort(),
    );
    expectPrivateTree(dir);
  });

  test("issues the wire §6.2 certificate profiles (subjects, SANs, EKUs)", async () => {
    const dir = await enrolled();
    const server = openssl([
      "x509",
      "-in",
      join(dir, "server.crt"),
      "-noout",
      "-subject",
      "-ext",
      "subjectAltName,extendedKeyUsage",
      "-nameopt",
      SUBJECT_FORMAT,
    ]);
    expect(server).toContain("subject=O=AgentKMS Dev,CN=agentkms-dev\n");
    expect(server).toContain("IP Address:127.0.0.1");
    expect(server).toContain("DNS:localhost");
    expect(server).toContain("TLS Web Server Authentication");
    const client = openssl([
      "x509",
      "-in",
      join(dir, "clients/forge-gateway/client.crt"),
      "-noout",
      "-subject",
      "-ext",
      "subjectAltName",
      "-nameopt",
      SUBJECT_FORMAT,
    ]);
    expect(client).toContain(
      "subject=O=AgentKMS Dev,OU=team:forge+OU=caller:forge-gateway,CN=forge-gateway\n",
    );
    expect(client).toContain("URI:spiffe://agentkms.dev/team/forge/identity/forge-gateway");
    expect(
      openssl(["verify", "-CAfile", join(dir, "ca.crt"), join(dir, "clients/forge-gateway/client.crt")]),
    ).toContain(": OK");
    expect(readFileSync(join(dir, "server.key"), "utf8")).toStartWith("-----BEGIN EC PRIVATE KEY-----");
  });

  test("a second enroll refuses with the exact text and leaves the PKI untouched", async () => {
    const dir = await enrolled();
    const before = readFileSync(join(dir, "server.key"));
    const result = await kpm(["dev", "enroll", "--dir", dir]);
    expect(result).toEqual({
      code: 1,
      stdout: "",
      stderr: `error: PKI already exists in ${dir} (use --force to re-create it; existing secrets become unreadable)\n`,
    });
    expect(readFileSync(join(dir, "server.key")).equals(before)).toBe(true);
  });

  test("--client-cn with --ou and --team issues only that client, with that subject", async () => {
    const dir = await enrolled();
    const untouched = [
      "ca.crt",
      "ca.key",
      "server.crt",
      "server.key",
      "clients/forge-gateway/client.crt",
    ].map((name) => [name, readFileSync(join(dir, name), "utf8")]);
    const result = await kpm([
      "dev",
      "enroll",
      "--dir",
      dir,
      "--client-cn",
      "ci-bot",
      "--ou",
      "agent",
      "--team",
      "payments",
    ]);
    expect(result).toEqual({ code: 0, stdout: "", stderr: `✓ PKI written to ${dir}\n` });
    expect(readdirSync(join(dir, "clients")).sort()).toEqual(["ci-bot", "forge-gateway"]);
    for (const [name, text] of untouched)
      expect({ name, same: readFileSync(join(dir, name as string), "utf8") === text }).toEqual({
        name,
        same: true,
      });
    const subject = openssl([
      "x509",
      "-in",
      join(dir, "clients/ci-bot/client.crt"),
      "-noout",
      "-subject",
      "-nameopt",
      SUBJECT_FORMAT,
    ]);
    // The first OU decides the role (wire §2.2), so "agent" must come before "caller:<cn>".
    expect(subject.trim()).toBe("subject=O=payments,OU=agent+OU=caller:ci-bot,CN=ci-bot");
    expect(
      openssl(["verify", "-CAfile", join(dir, "ca.crt"), join(dir, "clients/ci-bot/client.crt")]),
    ).toContain(": OK");
    expectPrivateTree(dir);
  });

  test("--client-cn naming an existing client refuses like a second enroll", async () => {
    const dir = await enrolled();
    const result = await kpm(["dev", "enroll", "--dir", dir, "--client-cn", "forge-gateway"]);
    expect(result.code).toBe(1);
    expect(result.stderr).toStartWith(`error: PKI already exists in ${dir} (use --force`);
  });

  test("an invalid --client-cn is refused before anything is written", async () => {
    const dir = freshDir();
    const result = await kpm(["dev", "enroll", "--dir", dir, "--client-cn", "../evil"]);
    expect(result.code).toBe(1);
    expect(result.stderr).toStartWith('error: invalid client CN "../evil"');
    expect(existsSync(join(dir, "ca.crt"))).toBe(false);
  });

  test("--force re-creates the PKI and warns that an existing store became unreadable", async () => {
    const dir = await enrolled();
    expect((await kpm(["dev", "secrets", "set", "--dir", dir, "generic/x", "a=b"])).code).toBe(0);
    const oldKey = readFileSync(join(dir, "server.key"), "utf8");
    const result = await kpm(["dev", "enroll", "--dir", dir, "--force"]);
    expect(result).toEqual({
      code: 0,
      stdout: "",
      stderr: `warning: ${dir}/secrets.enc was encrypted with the old server key and can no longer be read\n✓ PKI written to ${dir}\n`,
    });
    expect(readFileSync(join(dir, "server.key"), "utf8")).not.toBe(oldKey);
  });

  test("--force without a store re-creates silently", async () => {
    const dir = await enrolled();
    const result = await kpm(["dev", "enroll", "--dir", dir, "--force"]);
    expect(result).toEqual({ code: 0, stdout: "", stderr: `✓ PKI written to ${dir}\n` });
  });

  test("--renew re-issues every certificate, keeps every key, and the store stays readable", async () => {
    const dir = await enrolled();
    expect((await kpm(["dev", "enroll", "--dir", dir, "--client-cn", "second"])).code).toBe(0);
    expect((await kpm(["dev", "secrets", "set", "--dir", dir, "generic/keep", "k=v"])).code).toBe(0);
    const keys = ["ca.key", "server.key", "clients/forge-gateway/client.key", "clients/second/client.key"];
    const keysBefore = keys.map((name) => readFileSync(join(dir, name), "utf8"));
    const certs = ["server.crt", "clients/forge-gateway/client.crt", "clients/second/client.crt"];
    const certsBefore = certs.map((name) => readFileSync(join(dir, name), "utf8"));
    const caBefore = readFileSync(join(dir, "ca.crt"), "utf8");

    const result = await kpm(["dev", "enroll", "--dir", dir, "--renew"]);
    const validUntil = formatDate(certificateNotAfter(readFileSync(join(dir, "server.crt"), "utf8")));
    expect(result).toEqual({
      code: 0,
      stdout: "",
      stderr: `✓ Renewed 3 certificates in ${dir} (valid until ${validUntil})\n`,
    });
    expect(keys.map((name) => readFileSync(join(dir, name), "utf8"))).toEqual(keysBefore);
    certs.forEach((name, i) => {
      expect({ name, changed: readFileSync(join(dir, name), "utf8") !== certsBefore[i] }).toEqual({
        name,
        changed: true,
      });
    });
    expect(readFileSync(join(dir, "ca.crt"), "utf8")).toBe(caBefore);
    expect(
      openssl(["verify", "-CAfile", join(dir, "ca.crt"), join(dir, "clients/second/client.crt")]),
    ).toContain(": OK");
    expect(await kpm(["dev", "secrets", "list", "--dir", dir])).toEqual({
      code: 0,
      stdout: "kv/data/generic/keep\n",
      stderr: "",
    });
    expectPrivateTree(dir);
  });

  test("--force with --renew is a flag conflict, exit 2, nothing changed", async () => {
    const dir = await enrolled();
    const before = readFileSync(join(dir, "server.key"), "utf8");
    expect(await kpm(["dev", "enroll", "--dir", dir, "--force", "--renew"])).toEqual({
      code: 2,
      stdout: "",
      stderr: "kpm: --force and --renew are mutually exclusive\nRun 'kpm dev enroll --help' for usage.\n",
    });
    expect(readFileSync(join(dir, "server.key"), "utf8")).toBe(before);
  });

  test("--renew without a PKI fails with the enroll hint", async () => {
    const dir = freshDir();
    expect(await kpm(["dev", "enroll", "--dir", dir, "--renew"])).toEqual({
      code: 1,
      stdout: "",
      stderr: `error: no PKI in ${dir}; run: kpm dev enroll\n`,
    });
    expect(existsSync(join(dir, "ca.crt"))).toBe(false);
  });

  test("--renew refuses when the dev CA expires within 30 days", async () => {
    const dir = await enrolled();
    openssl([
      "req",
      "-x509",
      "-new",
      "-key",
      join(dir, "ca.key"),
      "-subj",
      "/O=AgentKMS Dev/CN=agentkms-dev-ca",
      "-days",
      "10",
      "-out",
      join(dir, "ca.crt"),
    ]);
    const caExpiry = formatDate(certificateNotAfter(readFileSync(join(dir, "ca.crt"), "utf8")));
    const serverBefore = readFileSync(join(dir, "server.crt"), "utf8");
    const result = await kpm(["dev", "enroll", "--dir", dir, "--renew"]);
    expect(result).toEqual({
      code: 1,
      stdout: "",
      stderr: `error: the dev CA expires on ${caExpiry}; re-create the PKI with --force\n`,
    });
    expect(readFileSync(join(dir, "server.crt"), "utf8")).toBe(serverBefore);
  });

  test("AGENTKMS_DIR is honoured when --dir is absent", async () => {
    const dir = freshDir();
    const result = await kpm(["dev", "enroll"], { env: { AGENTKMS_DIR: dir } });
    expect(result).toEqual({ code: 0, stdout: "", stderr: `✓ PKI written to ${dir}\n` });
    expect(existsSync(join(dir, "clients/forge-gateway/client.key"))).toBe(true);
  });

  test("--dir wins over AGENTKMS_DIR", async () => {
    const dir = freshDir();
    const ignored = freshDir();
    const result = await kpm(["dev", "enroll", "--dir", dir], { env: { AGENTKMS_DIR: ignored } });
    expect(result.stderr).toBe(`✓ PKI written to ${dir}\n`);
    expect(existsSync(ignored)).toBe(false);
  });

  test("without --dir and AGENTKMS_DIR the PKI goes to ~/.agentkms/dev", async () => {
    const home = join(sandbox.root, "home2");
    mkdirSync(home, { mode: 0o700 });
    const result = await kpm(["dev", "enroll"], { env: { HOME: home, AGENTKMS_DIR: undefined } });
    const dir = join(home, ".agentkms/dev");
    expect(result).toEqual({ code: 0, stdout: "", stderr: `✓ PKI written to ${dir}\n` });
    expectPrivateTree(dir);
    expect(statSync(join(home, ".agentkms")).mode & 0o777).toBe(0o700);
  });
});

describe("kpm dev serve (foreground)", () => {
  let dir: string;
  let server: ForegroundServer;
  let addr: string;

  beforeAll(async () => {
    dir = await enrolled();
    expect(
      (
        await kpm([
          "dev",
          "secrets",
          "set",
          "--dir",
          dir,
          "generic/db/prod",
          "host=db.local",
          `password=${PASSWORD}`,
        ])
      ).code,
    ).toBe(0);
    expect(
      (
        await kpm(["dev", "secrets", "set", "--dir", dir, "llm/anthropic", "api_key"], {
          input: `${API_KEY}\n`,
        })
      ).code,
    ).toBe(0);
    server = await serveForeground(["--dir", dir, "--addr", "127.0.0.1:0"]);
    addr = `127.0.0.1:${server.port}`;
    writeKpmConfig(sandbox.home, { addr: `https://${addr}`, clientFiles: clientFilesOf(dir) });
  });

  test("the first stdout line is exactly the listening line with the bound port", () => {
    expect(server.port).toBeGreaterThan(0);
    expect(server.firstLine).toBe(
      `AgentKMS dev server listening on https://127.0.0.1:${server.port} (dir ${dir})`,
    );
  });

  test("server.json names the bound address, this PID and the dir, mode 0600", () => {
    const state = JSON.parse(readFileSync(join(dir, "server.json"), "utf8")) as Record<string, unknown>;
    expect(state).toMatchObject({ pid: server.process.pid, addr, dir });
    expect(Number.isNaN(Date.parse(String(state.started_at)))).toBe(false);
    expect(statSync(join(dir, "server.json")).mode & 0o777).toBe(0o600);
  });

  test("answers /healthz over mTLS with the forge-gateway client", async () => {
    expect(await healthzOk(dir, addr)).toBe(true);
  });

  test("a second serve for the same dir refuses and names the running PID", async () => {
    const result = await kpm(["dev", "serve", "--dir", dir, "--addr", "127.0.0.1:0"]);
    expect(result).toEqual({
      code: 1,
      stdout: "",
      stderr: `error: a dev server is already running for ${dir} (PID ${server.process.pid})\n`,
    });
  });

  test("dev status prints the exact block for a foreground server and exits 0", async () => {
    const validUntil = formatDate(certificateNotAfter(readFileSync(join(dir, "server.crt"), "utf8")));
    const result = await kpm(["dev", "status", "--dir", dir]);
    expect(result).toEqual({
      code: 0,
      stdout: [
        "AgentKMS dev server: running",
        `  PID:     ${server.process.pid}`,
        `  Address: https://${addr}`,
        `  Dir:     ${dir}`,
        "  Health:  ok",
        `  Certs:   valid until ${validUntil}`,
        "",
      ].join("\n"),
      stderr: "",
    });
  });

  test("values written by kpm dev secrets set are vended over mTLS (kpm get)", async () => {
    expect(await kpm(["get", "kv/db/prod#password"])).toEqual({ code: 0, stdout: PASSWORD, stderr: "" });
    expect(await kpm(["get", "llm/anthropic"])).toEqual({ code: 0, stdout: API_KEY, stderr: "" });
  });

  test("a write while the server runs is seen on the next request (store reload)", async () => {
    expect((await kpm(["dev", "secrets", "set", "--dir", dir, "generic/late", "token=t1"])).code).toBe(0);
    expect(await kpm(["get", "kv/late#token"])).toEqual({ code: 0, stdout: "t1", stderr: "" });
    expect((await kpm(["dev", "secrets", "delete", "--dir", dir, "generic/late"])).code).toBe(0);
    const gone = await kpm(["get", "kv/late#token"]);
    expect(gone.code).toBe(1);
    expect(gone.stdout).toBe("");
  });

  test("SIGTERM stops it gracefully: exit 0, server.json removed, no value in its log", async () => {
    server.process.kill("SIGTERM");
    expect(await server.process.exited).toBe(0);
    expect(existsSync(join(dir, "server.json"))).toBe(false);
    const output = await server.output;
    expect(output).toContain("/credentials/generic/db/prod");
    expect(output).not.toContain(PASSWORD);
    expect(output).not.toContain(API_KEY);
    expect(await server.stderr).toBe("");
    expect(readFileSync(join(dir, "audit.ndjson"), "utf8")).not.toContain(PASSWORD);
    expect((await kpm(["dev", "status", "--dir", dir])).code).toBe(1);
  });
});

describe("kpm dev serve refusals", () => {
  let dir: string;
  beforeAll(async () => {
    dir = await enrolled();
  });

  test("no PKI → the exact hint, exit 1", async () => {
    const empty = freshDir();
    const result = await kpm(["dev", "serve", "--dir", empty, "--addr", "127.0.0.1:0"]);
    expect(result).toEqual({
      code: 1,
      stdout: "",
      stderr: `error: no PKI in ${empty}; run: kpm dev enroll\n`,
    });
  });

  test("a port already taken → listen …: address already in use, exit 1, no server.json", async () => {
    const blocker = Bun.listen({ hostname: "127.0.0.1", port: 0, socket: { data() {} } });
    try {
      const result = await kpm(["dev", "serve", "--dir", dir, "--addr", `127.0.0.1:${blocker.port}`]);
      expect(result).toEqual({
        code: 1,
        stdout: "",
        stderr: `error: listen 127.0.0.1:${blocker.port}: address already in use\n`,
      });
      expect(existsSync(join(dir, "server.json"))).toBe(false);
    } finally {
      blocker.stop(true);
    }
  });

  test.each([
    ["foo", 'error: invalid --addr "foo": use host:port (e.g. 127.0.0.1:8443)'],
    ["127.0.0.1:", 'error: invalid --addr "127.0.0.1:": use host:port (e.g. 127.0.0.1:8443)'],
    ["127.0.0.1:70000", 'error: invalid --addr "127.0.0.1:70000": use host:port (e.g. 127.0.0.1:8443)'],
    ["127.0.0.1:8x", 'error: invalid --addr "127.0.0.1:8x": use host:port (e.g. 127.0.0.1:8443)'],
    [":8443", 'error: invalid --addr ":8443": use host:port (e.g. 127.0.0.1:8443)'],
  ])("--addr %p is refused with the exact text", async (value, message) => {
    const result = await kpm(["dev", "serve", "--dir", dir, "--addr", value]);
    expect(result).toEqual({ code: 1, stdout: "", stderr: `${message}\n` });
  });

  test.each([
    ["--rate-limit", "abc"],
    ["--rate-limit", "-1"],
    ["--rate-limit", "1.5"],
    ["--token-ttl", "soon"],
    ["--token-ttl", ""],
  ])("%s %p is refused with the exact text", async (flag, value) => {
    const result = await kpm(["dev", "serve", "--dir", dir, "--addr", "127.0.0.1:0", flag, value]);
    expect(result).toEqual({
      code: 1,
      stdout: "",
      stderr: `error: invalid ${flag} "${value}": expected a whole number of seconds\n`,
    });
  });

  test("a policy with a misspelled field names the file and the field, exit 1", async () => {
    const policy = join(dir, "typo.yaml");
    writeFileSync(policy, 'version: "1"\nrules:\n  - id: allow-all\n    efect: allow\n');
    const result = await kpm(["dev", "serve", "--dir", dir, "--addr", "127.0.0.1:0", "--policy", policy]);
    expect(result).toEqual({
      code: 1,
      stdout: "",
      stderr: `error: ${policy}: rules[0]: unknown field "efect"\n`,
    });
    expect(existsSync(join(dir, "server.json"))).toBe(false);
  });

  test("a missing policy file names the file, exit 1", async () => {
    const policy = join(dir, "absent.yaml");
    const result = await kpm(["dev", "serve", "--dir", dir, "--addr", "127.0.0.1:0", "--policy", policy]);
    expect(result.code).toBe(1);
    expect(result.stderr).toStartWith(`error: ${policy}: `);
  });
});

describe("kpm dev serve options", () => {
  test("a non-loopback --addr warns and still reports the bound address", async () => {
    const dir = await enrolled();
    const server = await serveForeground(["--dir", dir, "--addr", "0.0.0.0:0"]);
    expect(server.firstLine).toBe(
      `AgentKMS dev server listening on https://0.0.0.0:${server.port} (dir ${dir})`,
    );
    server.process.kill("SIGTERM");
    expect(await server.process.exited).toBe(0);
    expect(await server.stderr).toBe("warning: dev server is listening on a non-loopback address\n");
  });

  test("--token-ttl sets the session lifetime; --policy with a valid file is applied", async () => {
    const dir = await enrolled();
    const policy = join(dir, "policy.yaml");
    writeFileSync(
      policy,
      'version: "1"\nrules:\n  - id: auth-only\n    match:\n      operations: [auth]\n    effect: allow\n',
    );
    const server = await serveForeground([
      "--dir",
      dir,
      "--addr",
      "127.0.0.1:0",
      "--token-ttl",
      "42",
      "--policy",
      policy,
    ]);
    try {
      const files = clientFilesOf(dir);
      const tls = {
        cert: readFileSync(files.cert, "utf8"),
        key: readFileSync(files.key, "utf8"),
        ca: readFileSync(files.ca, "utf8"),
      };
      const base = `https://127.0.0.1:${server.port}`;
      const auth = await fetch(`${base}/auth/session`, { method: "POST", tls });
      const session = (await auth.json()) as { token: string; expires_in: number };
      expect({ status: auth.status, expiresIn: session.expires_in }).toEqual({ status: 200, expiresIn: 42 });
      const denied = await fetch(`${base}/metadata`, {
        headers: { authorization: `Bearer ${session.token}` },
        tls,
      });
      expect(denied.status).toBe(403);
      // The built-in dev-allow-all policy would have allowed the list: the file replaced it.
      const events = readFileSync(join(dir, "audit.ndjson"), "utf8");
      expect(events).toContain('"operation":"metadata_list","outcome":"denied"');
    } finally {
      server.process.kill("SIGTERM");
      await server.process.exited;
    }
  });
});

describe("kpm dev serve startup failures with --detach", () => {
  test("a taken port is reported with the server's own error and the log hint, exit 1", async () => {
    const dir = await enrolled();
    const blocker = Bun.listen({ hostname: "127.0.0.1", port: 0, socket: { data() {} } });
    try {
      const result = await kpm([
        "dev",
        "serve",
        "--dir",
        dir,
        "--addr",
        `127.0.0.1:${blocker.port}`,
        "--detach",
      ]);
      expect(result).toEqual({
        code: 1,
        stdout: "",
        stderr: `error: listen 127.0.0.1:${blocker.port}: address already in use\n  Check the log: ${dir}/server.log\n`,
      });
      expect(existsSync(join(dir, "server.json"))).toBe(false);
      expect(readFileSync(join(dir, "server.log"), "utf8")).toContain("address already in use");
    } finally {
      blocker.stop(true);
    }
  });
});

describe("kpm dev serve --audit, --env and SIGINT", () => {
  test("--audit writes events to that file with the --env name; SIGINT stops gracefully", async () => {
    const dir = await enrolled();
    const audit = join(dir, "custom-audit.ndjson");
    const server = await serveForeground([
      "--dir",
      dir,
      "--addr",
      "127.0.0.1:0",
      "--audit",
      audit,
      "--env",
      "staging",
    ]);
    const client = createClient({ server: `https://127.0.0.1:${server.port}`, ...clientFilesOf(dir) });
    try {
      await client.listMetadata();
    } finally {
      client.close();
    }
    server.process.kill("SIGINT");
    expect(await server.process.exited).toBe(0);
    expect(existsSync(join(dir, "server.json"))).toBe(false);
    const events = readFileSync(audit, "utf8")
      .trim()
      .split("\n")
      .map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(events.map((event) => [event.operation, event.environment])).toEqual([
      ["auth", "staging"],
      ["metadata_list", "staging"],
    ]);
    expect(existsSync(join(dir, "audit.ndjson"))).toBe(false);
  });
});

describe("kpm dev serve --detach, status and stop", () => {
  let dir: string;
  let pid: number;

  beforeAll(async () => {
    dir = await enrolled();
  });

  test("--detach prints the started line with the PID and returns 0 while the server keeps running", async () => {
    const result = await kpm(["dev", "serve", "--dir", dir, "--addr", "127.0.0.1:0", "--detach"]);
    const state = JSON.parse(readFileSync(join(dir, "server.json"), "utf8")) as { pid: number; addr: string };
    pid = state.pid;
    started.add(pid);
    expect(result).toEqual({ code: 0, stdout: "", stderr: `✓ AgentKMS dev server started (PID ${pid})\n` });
    expect(isPidAlive(pid)).toBe(true);
    expect(await healthzOk(dir, state.addr)).toBe(true);
  });

  test("server.log receives the server's log", () => {
    const log = readFileSync(join(dir, "server.log"), "utf8");
    expect(log).toMatch(
      new RegExp(`^AgentKMS dev server listening on https://127\\.0\\.0\\.1:\\d+ \\(dir ${dir}\\)\n`),
    );
    expect(log).toContain("path=/healthz status=200");
    expect(statSync(join(dir, "server.log")).mode & 0o777).toBe(0o600);
  });

  test("a second --detach refuses while the first runs", async () => {
    const result = await kpm(["dev", "serve", "--dir", dir, "--addr", "127.0.0.1:0", "--detach"]);
    expect(result).toEqual({
      code: 1,
      stdout: "",
      stderr: `error: a dev server is already running for ${dir} (PID ${pid})\n`,
    });
  });

  test("dev status prints the exact running block and exits 0", async () => {
    const state = JSON.parse(readFileSync(join(dir, "server.json"), "utf8")) as { addr: string };
    const validUntil = formatDate(certificateNotAfter(readFileSync(join(dir, "server.crt"), "utf8")));
    expect(await kpm(["dev", "status", "--dir", dir])).toEqual({
      code: 0,
      stdout: `AgentKMS dev server: running\n  PID:     ${pid}\n  Address: https://${state.addr}\n  Dir:     ${dir}\n  Health:  ok\n  Certs:   valid until ${validUntil}\n`,
      stderr: "",
    });
  });

  test("dev stop stops it, removes server.json and reports the PID", async () => {
    const result = await kpm(["dev", "stop", "--dir", dir]);
    expect(result).toEqual({ code: 0, stdout: "", stderr: `✓ AgentKMS dev server stopped (PID ${pid})\n` });
    expect(existsSync(join(dir, "server.json"))).toBe(false);
    expect(isPidAlive(pid)).toBe(false);
    expect(readFileSync(join(dir, "server.log"), "utf8")).toContain('msg="AgentKMS dev server stopped"');
  });

  test("status afterwards says not running and exits 1", async () => {
    expect(await kpm(["dev", "status", "--dir", dir])).toEqual({
      code: 1,
      stdout: "AgentKMS dev server: not running\n",
      stderr: "",
    });
  });

  test("stop with nothing running says so and exits 0", async () => {
    expect(await kpm(["dev", "stop", "--dir", dir])).toEqual({
      code: 0,
      stdout: "",
      stderr: `no dev server running for ${dir}\n`,
    });
  });

  test("a stale server.json naming a dead PID: status says not running, stop removes it", async () => {
    const dead = Bun.spawn(["true"]);
    await dead.exited;
    writeFileSync(
      join(dir, "server.json"),
      JSON.stringify({ pid: dead.pid, addr: "127.0.0.1:1", dir, started_at: new Date().toISOString() }),
      { mode: 0o600 },
    );
    expect(await kpm(["dev", "status", "--dir", dir])).toEqual({
      code: 1,
      stdout: "AgentKMS dev server: not running\n",
      stderr: "",
    });
    expect(await kpm(["dev", "stop", "--dir", dir])).toEqual({
      code: 0,
      stdout: "",
      stderr: `no dev server running for ${dir}\n`,
    });
    expect(existsSync(join(dir, "server.json"))).toBe(false);
  });

  test("a stale server.json does not block a new server", async () => {
    writeFileSync(
      join(dir, "server.json"),
      JSON.stringify({ pid: 2 ** 22 + 1, addr: "127.0.0.1:1", dir, started_at: "x" }),
    );
    const server = await serveForeground(["--dir", dir, "--addr", "127.0.0.1:0"]);
    expect(server.firstLine).toStartWith("AgentKMS dev server listening on https://127.0.0.1:");
    server.process.kill("SIGTERM");
    expect(await server.process.exited).toBe(0);
  });

  test("a server.json naming a live process that is not a kpm dev server is stale: never signalled", async () => {
    const sleeper = Bun.spawn(["sleep", "30"]);
    started.add(sleeper.pid);
    try {
      writeFileSync(
        join(dir, "server.json"),
        JSON.stringify({ pid: sleeper.pid, addr: "127.0.0.1:1", dir, started_at: new Date().toISOString() }),
      );
      const status = await kpm(["dev", "status", "--dir", dir]);
      expect(status).toEqual({ code: 1, stdout: "AgentKMS dev server: not running\n", stderr: "" });
      const stop = await kpm(["dev", "stop", "--dir", dir]);
      expect(stop).toEqual({ code: 0, stdout: "", stderr: `no dev server running for ${dir}\n` });
      expect(sleeper.killed).toBe(false);
      expect(sleeper.exitCode).toBeNull();
      expect(existsSync(join(dir, "server.json"))).toBe(false);
    } finally {
      sleeper.kill();
    }
  });

  test("a running dev server that does not answer (SIGSTOP): status reports Health: failing and exits 1", async () => {
    const server = await serveForeground(["--dir", dir, "--addr", "127.0.0.1:0"]);
    process.kill(server.process.pid, "SIGSTOP");
    try {
      const result = await kpm(["dev", "status", "--dir", dir]);
      expect(result.code).toBe(1);
      expect(result.stdout).toContain("AgentKMS dev server: running\n");
      expect(result.stdout).toContain(`  PID:     ${server.process.pid}\n`);
      expect(result.stdout).toContain("  Health:  failing\n");
    } finally {
      process.kill(server.process.pid, "SIGCONT");
    }
    const stop = await kpm(["dev", "stop", "--dir", dir]);
    expect(stop).toEqual({
      code: 0,
      stdout: "",
      stderr: `✓ AgentKMS dev server stopped (PID ${server.process.pid})\n`,
    });
    expect(await server.process.exited).toBe(0);
  });
});

describe("kpm dev secrets", () => {
  let dir: string;
  beforeAll(async () => {
    dir = await enrolled();
  });

  test("set with field=value pairs stores them and counts the fields", async () => {
    const result = await kpm([
      "dev",
      "secrets",
      "set",
      "--dir",
      dir,
      "generic/db/prod",
      "host=h",
      "password=p=q",
    ]);
    expect(result).toEqual({ code: 0, stdout: "", stderr: "✓ Stored generic/db/prod (2 fields)\n" });
    expect(new SecretStore(dir).read().get("kv/data/generic/db/prod")).toEqual({
      host: "h",
      password: "p=q",
    });
    expect(statSync(join(dir, "secrets.enc")).mode & 0o777).toBe(0o600);
  });

  test("set with a single field reads the value from stdin, trailing newlines removed", async () => {
    const result = await kpm(["dev", "secrets", "set", "--dir", dir, "llm/anthropic", "api_key"], {
      input: `${API_KEY}\n\n`,
    });
    expect(result).toEqual({ code: 0, stdout: "", stderr: "✓ Stored llm/anthropic (1 fields)\n" });
    expect(new SecretStore(dir).read().get("kv/data/llm/anthropic")).toEqual({ api_key: API_KEY });
  });

  test("list prints every kv/data/ path sorted on stdout", async () => {
    expect((await kpm(["dev", "secrets", "set", "--dir", dir, "generic/app/config", "a=1"])).code).toBe(0);
    expect(await kpm(["dev", "secrets", "list", "--dir", dir])).toEqual({
      code: 0,
      stdout: "kv/data/generic/app/config\nkv/data/generic/db/prod\nkv/data/llm/anthropic\n",
      stderr: "",
    });
  });

  test("list of a dir with no store prints nothing and exits 0", async () => {
    const empty = await enrolled();
    expect(await kpm(["dev", "secrets", "list", "--dir", empty])).toEqual({
      code: 0,
      stdout: "",
      stderr: "",
    });
  });

  test("delete removes the path; deleting it again says not found, exit 1", async () => {
    expect(await kpm(["dev", "secrets", "delete", "--dir", dir, "generic/app/config"])).toEqual({
      code: 0,
      stdout: "",
      stderr: "✓ Deleted generic/app/config\n",
    });
    expect(await kpm(["dev", "secrets", "delete", "--dir", dir, "generic/app/config"])).toEqual({
      code: 1,
      stdout: "",
      stderr: "error: generic/app/config not found\n",
    });
    expect((await kpm(["dev", "secrets", "list", "--dir", dir])).stdout).not.toContain("app/config");
  });

  test.each([
    ["generic/a//b", "empty segment"],
    ["generic/../x", null],
    ["generic/./x", null],
    [`generic/${"ab".repeat(32)}`, null],
  ])("an invalid path %p is refused with the exact prefix", async (path, reason) => {
    const result = await kpm(["dev", "secrets", "set", "--dir", dir, path, "x=1"]);
    expect(result.code).toBe(1);
    expect(result.stdout).toBe("");
    if (reason) expect(result.stderr).toBe(`error: invalid path "${path}": ${reason}\n`);
    else
      expect(result.stderr).toMatch(new RegExp(`^error: invalid path "${path.replaceAll(".", "\\.")}": \\S`));
  });

  test("the AGENTKMS_DIR store is used when --dir is absent", async () => {
    const result = await kpm(["dev", "secrets", "list"], { env: { AGENTKMS_DIR: dir } });
    expect(result.stdout).toContain("kv/data/generic/db/prod\n");
  });

  test("no stored value ever appears in the outputs of set, list or delete", async () => {
    const results = [
      await kpm(["dev", "secrets", "set", "--dir", dir, "generic/m", `v=${PASSWORD}`]),
      await kpm(["dev", "secrets", "list", "--dir", dir]),
      await kpm(["dev", "secrets", "delete", "--dir", dir, "generic/m"]),
    ];
    for (const result of results) {
      expect(result.code).toBe(0);
      expect(result.stdout + result.stderr).not.toContain(PASSWORD);
    }
  });

  test("a corrupt secrets.enc is never overwritten: set, delete and list refuse, exit 1", async () => {
    const corrupt = await enrolled();
    const bytes = crypto.getRandomValues(new Uint8Array(64));
    writeFileSync(join(corrupt, "secrets.enc"), bytes, { mode: 0o600 });
    const message = `error: cannot decrypt ${join(corrupt, "secrets.enc")} (wrong server.key or corrupt file); refusing to overwrite it\n`;
    for (const args of [["set", "generic/x", "a=b"], ["delete", "generic/x"], ["list"]]) {
      const result = await kpm(["dev", "secrets", args[0] as string, "--dir", corrupt, ...args.slice(1)]);
      expect({ args, ...result }).toEqual({ args, code: 1, stdout: "", stderr: message });
    }
    expect(Buffer.from(readFileSync(join(corrupt, "secrets.enc"))).equals(Buffer.from(bytes))).toBe(true);
  });

  test("set without a PKI fails without creating a store", async () => {
    const empty = freshDir();
    const result = await kpm(["dev", "secrets", "set", "--dir", empty, "generic/x", "a=b"]);
    expect(result).toEqual({
      code: 1,
      stdout: "",
      stderr: `error: no server key in ${empty} (server.key); run: kpm dev enroll\n`,
    });
    expect(existsSync(join(empty, "secrets.enc"))).toBe(false);
  });

  test("a pair without a field name, or no fields at all, is refused before touching the store", async () => {
    expect(await kpm(["dev", "secrets", "set", "--dir", dir, "generic/x", "=v"])).toEqual({
      code: 1,
      stdout: "",
      stderr: 'error: invalid field "": expected <field>=<value>\n',
    });
    expect(await kpm(["dev", "secrets", "set", "--dir", dir, "generic/x"])).toEqual({
      code: 2,
      stdout: "",
      stderr:
        "kpm dev secrets set: usage: kpm dev secrets set <path> <field>=<value>… | <field>\n" +
        "Run 'kpm dev secrets set --help' for usage.\n",
    });
    expect((await kpm(["dev", "secrets", "list", "--dir", dir])).stdout).not.toContain("generic/x\n");
  });
});

describe("kpm dev subcommand errors", () => {
  test.each([
    [
      ["dev"],
      "kpm dev: subcommand required (serve, enroll, secrets, stop or status)\nRun 'kpm dev --help' for usage.",
    ],
    [
      ["dev", "foo"],
      "kpm dev: unknown subcommand \"foo\" (use serve, enroll, secrets, status or stop)\nRun 'kpm dev --help' for usage.",
    ],
    [
      ["dev", "stauts"],
      'kpm dev: unknown subcommand "stauts" (use serve, enroll, secrets, status or stop)\nDid you mean "kpm dev status"?',
    ],
    [
      ["dev", "secrets"],
      "kpm dev secrets: subcommand required (set, list or delete)\nRun 'kpm dev secrets --help' for usage.",
    ],
    [
      ["dev", "secrets", "bogus"],
      "kpm dev secrets: unknown subcommand \"bogus\" (use set, list or delete)\nRun 'kpm dev secrets --help' for usage.",
    ],
  ])("kpm %p → the exact text, exit 2 (a usage error)", async (args, message) => {
    expect(await kpm(args)).toEqual({ code: 2, stdout: "", stderr: `${message}\n` });
  });
});

describe("the 30-day certificate warning", () => {
  test("dev serve and dev status warn when the server certificate expires within 30 days; --renew clears it", async () => {
    const dir = await enrolled();
    reissueShortLived(dir, 10);
    const expiry = formatDate(certificateNotAfter(readFileSync(join(dir, "server.crt"), "utf8")));
    const warning = `warning: dev certificates expire on ${expiry}; run: kpm dev enroll --renew\n`;

    const server = await serveForeground(["--dir", dir, "--addr", "127.0.0.1:0"]);
    try {
      const status = await kpm(["dev", "status", "--dir", dir]);
      expect(status.code).toBe(0);
      expect(status.stdout).toContain(`  Certs:   valid until ${expiry}\n`);
      expect(status.stderr).toBe(warning);
    } finally {
      server.process.kill("SIGTERM");
      await server.process.exited;
    }
    expect(await server.stderr).toBe(warning);

    const renewed = await kpm(["dev", "enroll", "--dir", dir, "--renew"]);
    expect(renewed.code).toBe(0);
    const again = await serveForeground(["--dir", dir, "--addr", "127.0.0.1:0"]);
    again.process.kill("SIGTERM");
    expect(await again.process.exited).toBe(0);
    expect(await again.stderr).toBe("");
  });

  test("certificateWarning() fires at exactly 30 days before the earliest expiry and not a second earlier", async () => {
    const dir = await enrolled();
    const expiry = certificateNotAfter(readFileSync(join(dir, "server.crt"), "utf8"));
    const thirtyDays = 30 * 86_400_000;
    expect(certificateWarning(dir, expiry.getTime() - thirtyDays - 1000)).toBeNull();
    expect(certificateWarning(dir, expiry.getTime() - thirtyDays)).toBe(
      `warning: dev certificates expire on ${formatDate(expiry)}; run: kpm dev enroll --renew`,
    );
    expect(certificateWarning(freshDir())).toBeNull();
  });
});

describe("compiled dist/kpm smoke", () => {
  const binary = { binary: true };

  test.skipIf(!existsSync(KPM_BINARY))(
    "enroll, secrets, serve --detach, status, get and stop work in the compiled binary",
    async () => {
      const dir = freshDir();
      expect(await kpm(["dev", "enroll", "--dir", dir], binary)).toEqual({
        code: 0,
        stdout: "",
        stderr: `✓ PKI written to ${dir}\n`,
      });
      expect(
        await kpm(["dev", "secrets", "set", "--dir", dir, "generic/db/prod", "password"], {
          ...binary,
          input: PASSWORD,
        }),
      ).toEqual({
        code: 0,
        stdout: "",
        stderr: "✓ Stored generic/db/prod (1 fields)\n",
      });
      expect((await kpm(["dev", "secrets", "list", "--dir", dir], binary)).stdout).toBe(
        "kv/data/generic/db/prod\n",
      );

      const detached = await kpm(["dev", "serve", "--dir", dir, "--addr", "127.0.0.1:0", "--detach"], binary);
      const state = JSON.parse(readFileSync(join(dir, "server.json"), "utf8")) as {
        pid: number;
        addr: string;
      };
      started.add(state.pid);
      expect(detached).toEqual({
        code: 0,
        stdout: "",
        stderr: `✓ AgentKMS dev server started (PID ${state.pid})\n`,
      });

      const status = await kpm(["dev", "status", "--dir", dir], binary);
      expect(status.code).toBe(0);
      expect(status.stdout).toContain("  Health:  ok\n");

      const home = join(sandbox.root, "home-bin");
      mkdirSync(home, { mode: 0o700 });
      writeKpmConfig(home, { addr: `https://${state.addr}`, clientFiles: clientFilesOf(dir) });
      expect(await kpm(["get", "kv/db/prod#password"], { ...binary, env: { HOME: home } })).toEqual({
        code: 0,
        stdout: PASSWORD,
        stderr: "",
      });

      expect(await kpm(["dev", "stop", "--dir", dir], binary)).toEqual({
        code: 0,
        stdout: "",
        stderr: `✓ AgentKMS dev server stopped (PID ${state.pid})\n`,
      });
      expect(isPidAlive(state.pid)).toBe(false);
    },
  );
});
