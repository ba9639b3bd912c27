// End-to-end proof that no message carries a secret (docs/security.md "Secrets in messages"):
// stored values no environment can hold (a NUL byte, an unpaired surrogate, a string past
// execve's limit) are unset in `kpm run` with a fixed line while the child runs; `kpm add`,
// `kpm dev secrets set` and the dev server refuse NUL and invalid UTF-8 with fixed texts and keep
// the stored value. A planted marker is then looked for in every output, log and file. The
// compiled binary runs both the CLI and the server (so its server.log can be searched too).
// biome-ignore-all lint/suspicious/noTemplateCurlyInString: templates spell ${kms:…} literally
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { AgentKmsError, createClient } from "@kpm/agentkms-client";
import { SecretStore } from "@kpm/agentkms-dev";
import { isPidAlive } from "@kpm/libc";
import { type FaultServer, startRouteMissingServer } from "./helpers/fault-server.ts";
import {
  type ClientFiles,
  createSandbox,
  KPM_BINARY,
  parseShellExports,
  readAuditEvents,
  type Sandbox,
  writeKpmConfig,
} from "./helpers/kpm-env.ts";
import { type ProcessOutput, runToEnd } from "./helpers/run-to-end.ts";

// An underscore, not a dash: JSON.parse quotes a bare identifier token whole ("Unexpected
// identifier \"MARKER_7f3a9c…\""), so the marker is one token for every parser it meets.
const MARKER = "MARKER_7f3a9c";
const NUL_VALUE = `${MARKER}\0tail`;
const SURROGATE_VALUE = `${MARKER}\ud800`;
const LONG_VALUE = MARKER + "x".repeat(140_000);
const GOOD = "good-value-5d1e02";
const KEPT = "kept-value-9a0b7c";
const UNSET = (name: string) => `kpm: unset ${name}: value cannot be passed in an environment variable\n`;
const REFUSED_NUL =
  "error: value contains a NUL byte; encode binary secrets (for example base64) before storing\n";
const REFUSED_UTF8 =
  "error: value is not valid UTF-8; encode binary secrets (for example base64) before storing\n";
const INVALID_UTF8 = new Uint8Array([...new TextEncoder().encode(MARKER), 0xff, 0xfe, 0x41]);

let dir: string;
let sandbox: Sandbox;
let serverPid = 0;
let clientFiles: ClientFiles;
let addr = "";
/** Every stdout and stderr any kpm process of this file printed, searched for the marker last. */
const outputs: string[] = [];

/** The compiled kpm with raw stdin bytes and the sandbox's environment. */
async function kpm(
  args: string[],
  options: { env?: Record<string, string>; input?: string | Uint8Array; valueOnStdout?: boolean } = {},
): Promise<ProcessOutput> {
  const result = await runToEnd([KPM_BINARY, ...args], {
    env: { ...sandbox.env, ...options.env },
    cwd: sandbox.home,
    input: options.input,
  });
  // `kpm get` prints the value on stdout: that is its data channel, not a message.
  outputs.push(options.valueOnStdout ? "" : result.stdout, result.stderr);
  return result;
}

function filesUnder(root: string): string[] {
  return readdirSync(root, { recursive: true, encoding: "utf8" })
    .map((name) => join(root, name))
    .filter((path) => statSync(path, { throwIfNoEntry: false })?.isFile() === true);
}

beforeAll(async () => {
  sandbox = createSandbox();
  dir = mkdtempSync("/tmp/km-");
  const enrolled = await kpm(["dev", "enroll", "--dir", dir]);
  expect(enrolled.code).toBe(0);
  const serve = await kpm(["dev", "serve", "--dir", dir, "--addr", "127.0.0.1:0", "--detach"]);
  expect(serve.code).toBe(0);
  const state = JSON.parse(readFileSync(join(dir, "server.json"), "utf8")) as { pid: number; addr: string };
  serverPid = state.pid;
  addr = `https://${state.addr}`;
  const base = join(dir, "clients/forge-gateway");
  clientFiles = { cert: join(base, "client.crt"), key: join(base, "client.key"), ca: join(base, "ca.crt") };
  writeKpmConfig(sandbox.home, { addr, clientFiles });

  // Hostile or legacy values, written past every check straight into the store: what a server
  // that predates the refusals, or another AgentKMS, may hand out.
  await new SecretStore(dir).update((kv) => {
    kv.set("kv/data/generic/ok/good", { value: GOOD });
    kv.set("kv/data/generic/bad/nul", { value: NUL_VALUE });
    kv.set("kv/data/generic/bad/long", { value: LONG_VALUE });
  });
  writeFileSync(
    join(sandbox.home, "app.template"),
    ["GOOD=${kms:kv/ok/good#value}", "BAD=${kms:kv/bad/nul#value}", "LONG=${kms:kv/bad/long#value}", ""].join(
      "\n",
    ),
  );
  // A blob is larger than its value: LONG's would not fit in kpm's own environment either.
  writeFileSync(
    join(sandbox.home, "scan.template"),
    ["GOOD=${kms:kv/ok/good#value}", "BAD=${kms:kv/bad/nul#value}", ""].join("\n"),
  );
  expect(await kpm(["add", "svc/keep"], { input: KEPT })).toMatchObject({ code: 0 });
  expect(
    await kpm(["dev", "secrets", "set", "--dir", dir, "generic/keep", "value"], { input: KEPT }),
  ).toMatchObject({ code: 0 });
});

afterAll(async () => {
  await kpm(["dev", "stop", "--dir", dir]);
  if (serverPid > 0 && isPidAlive(serverPid)) process.kill(serverPid, "SIGKILL");
  sandbox?.cleanup();
  rmSync(dir, { recursive: true, force: true });
});

const CHILD = 'printf "ran %s|%s|%s|%s\\n" "$GOOD" "${BAD-unset}" "${ODD-unset}" "${LONG-unset}"';

describe("without the defence: the runtime leaks the value", () => {
  test("the stored NUL value is real, and Bun.spawn's error for it quotes the marker", async () => {
    const got = await kpm(["get", "kv/bad/nul#value"], { valueOnStdout: true });
    expect(got).toEqual({ code: 0, stdout: NUL_VALUE, stderr: "" });
    let message = "";
    try {
      Bun.spawnSync(["/bin/true"], { env: { BAD: got.stdout } });
    } catch (error) {
      message = (error as Error).message;
    }
    expect(message).toContain(MARKER);
  });
});

describe("kpm run unsets what no environment can hold; the child still runs", () => {
  test("template mode: one fixed line per variable, the good one arrives", async () => {
    const result = await kpm(["run", "--from", "app.template", "--no-masking", "--", "sh", "-c", CHILD]);
    expect(result).toEqual({
      code: 0,
      stdout: `ran ${GOOD}|unset|unset|unset\n`,
      stderr: UNSET("BAD") + UNSET("LONG"),
    });
  });

  test("template mode with --strict: the same lines", async () => {
    const result = await kpm([
      "run",
      "--strict",
      "--from",
      "app.template",
      "--no-masking",
      "--",
      "sh",
      "-c",
      CHILD,
    ]);
    expect(result).toEqual({
      code: 0,
      stdout: `ran ${GOOD}|unset|unset|unset\n`,
      stderr: UNSET("BAD") + UNSET("LONG"),
    });
  });

  test("--verbose and KPM_DEBUG=1 add status lines, never the value", async () => {
    const result = await kpm(["run", "--verbose", "--from", "app.template", "--", "sh", "-c", CHILD], {
      env: { KPM_DEBUG: "1" },
    });
    expect(result.code).toBe(0);
    expect(result.stderr).toContain(UNSET("BAD"));
    expect(result.stdout + result.stderr).not.toContain(MARKER);
  });

  for (const strict of [false, true]) {
    test(`env-scan mode (${strict ? "strict" : "default"} blobs): the listener's plaintext is checked too`, async () => {
      const env = await kpm(
        ["env", ...(strict ? ["--strict"] : []), "--from", "scan.template", "--output", "shell"],
        {
          env: { KPM_DEBUG: "1" },
        },
      );
      expect(env.code).toBe(0);
      const exports = parseShellExports(env.stdout);
      const result = await kpm(["run", "--no-masking", "--", "sh", "-c", CHILD], {
        env: { ...exports, KPM_DEBUG: "1" },
      });
      expect(result).toEqual({
        code: 0,
        stdout: `ran ${GOOD}|unset|unset|unset\n`,
        stderr: UNSET("BAD"),
      });
    });
  }
});

describe("values from a hostile AgentKMS", () => {
  let fault: FaultServer;
  let home: string;
  const hostile = () => ({ env: { HOME: home } });

  beforeAll(async () => {
    // JSON can spell an unpaired surrogate; the dev store cannot keep one (UTF-8 has no form for it).
    fault = await startRouteMissingServer(dir, {
      "GET /credentials/generic/bad/surrogate": `{"secrets":{"value":"${MARKER}\\ud800"}}`,
      "GET /credentials/generic/bad/ident": `{"secrets":{"value":${MARKER}}}`,
      "GET /credentials/generic/bad/type": `{"secrets":{"value":["${MARKER}"]}}`,
    });
    home = join(sandbox.root, "hostile");
    mkdirSync(home, { mode: 0o700 });
    writeKpmConfig(home, { addr: fault.addr, clientFiles });
    writeFileSync(join(home, "odd.template"), "GOOD=plain-good\nODD=${kms:kv/bad/surrogate#value}\n");
  });

  afterAll(async () => {
    await fault?.close();
  });

  test("without the check Bun.spawn hands the child U+FFFD instead of the value", async () => {
    const got = await kpm(["get", "kv/bad/surrogate#value"], { ...hostile(), valueOnStdout: true });
    expect(got.code).toBe(0);
    const child = Bun.spawnSync(["/usr/bin/printenv", "ODD"], { env: { ODD: SURROGATE_VALUE } });
    expect(child.stdout.toString()).toBe(`${MARKER}\ufffd\n`);
  });

  test("kpm run unsets an unpaired surrogate rather than pass a different value", async () => {
    const result = await kpm(
      ["run", "--from", join(home, "odd.template"), "--no-masking", "--", "sh", "-c", CHILD],
      hostile(),
    );
    expect(result).toEqual({ code: 0, stdout: "ran plain-good|unset|unset|unset\n", stderr: UNSET("ODD") });
  });

  test("kpm env --plaintext refuses it", async () => {
    const result = await kpm(["env", "--plaintext", "--from", join(home, "odd.template")], hostile());
    expect(result).toEqual({
      code: 1,
      stdout: "",
      stderr: "error: resolve ODD: value cannot be passed in an environment variable\n",
    });
  });

  test("a body JSON.parse chokes on, or of the wrong shape, is reported without the value", async () => {
    const ident = await kpm(["get", "kv/bad/ident#value"], hostile());
    expect(ident).toEqual({
      code: 1,
      stdout: "",
      stderr: "error: fetch generic/bad/ident: decode response: invalid JSON\n",
    });
    let parserMessage = "";
    try {
      JSON.parse(`{"secrets":{"value":${MARKER}}}`);
    } catch (error) {
      parserMessage = (error as Error).message;
    }
    // The runtime's own text would have carried it.
    expect(parserMessage).toContain(MARKER);
    const type = await kpm(["get", "kv/bad/type#value"], hostile());
    expect(type.code).toBe(1);
    expect(type.stderr).not.toContain(MARKER);
  });
});

describe("kpm env --plaintext refuses values no environment can hold", () => {
  for (const format of ["dotenv", "shell", "json"]) {
    test(`--output ${format}: one error line each, nothing on stdout, exit 1`, async () => {
      const result = await kpm(["env", "--plaintext", "--from", "app.template", "--output", format]);
      const line = (name: string) =>
        `error: resolve ${name}: value cannot be passed in an environment variable\n`;
      expect(result).toEqual({ code: 1, stdout: "", stderr: line("BAD") + line("LONG") });
    });
  }
});

describe("kpm add refuses NUL and invalid UTF-8 without quoting the value", () => {
  const cases: Array<[string, string[], Uint8Array | string | undefined, string]> = [
    ["stdin with a NUL byte", [], NUL_VALUE, REFUSED_NUL],
    ["stdin with invalid UTF-8", [], INVALID_UTF8, REFUSED_UTF8],
    ["--from-file with a NUL byte", ["--from-file", "nul.bin"], undefined, REFUSED_NUL],
    ["--from-file with invalid UTF-8", ["--from-file", "bad-utf8.bin"], undefined, REFUSED_UTF8],
  ];
  for (const [name, extra, input, stderr] of cases) {
    test(`${name}: the exact line, exit 1, and svc/keep still holds its value`, async () => {
      writeFileSync(join(sandbox.home, "nul.bin"), NUL_VALUE);
      writeFileSync(join(sandbox.home, "bad-utf8.bin"), INVALID_UTF8);
      const writesBefore = readAuditEvents({ auditPath: join(dir, "audit.ndjson") }).filter(
        (event) => event.operation === "secret_write",
      ).length;
      const result = await kpm(["add", "svc/keep", "--force", ...extra], { input });
      expect(result).toEqual({ code: 1, stdout: "", stderr });
      expect(await kpm(["get", "svc/keep"])).toEqual({ code: 0, stdout: KEPT, stderr: "" });
      // Refused before anything was sent: the server saw no write at all.
      const writesAfter = readAuditEvents({ auditPath: join(dir, "audit.ndjson") }).filter(
        (event) => event.operation === "secret_write",
      ).length;
      expect(writesAfter).toBe(writesBefore);
    });
  }
});

describe("kpm dev secrets set refuses NUL and invalid UTF-8", () => {
  const cases: Array<[string, Uint8Array | string, string]> = [
    ["a NUL byte", NUL_VALUE, 'error: value of field "value" contains a NUL byte\n'],
    ["invalid UTF-8", INVALID_UTF8, 'error: value of field "value" is not valid UTF-8\n'],
  ];
  for (const [name, input, stderr] of cases) {
    test(`${name} on stdin: the exact line, exit 1, and the stored value is kept`, async () => {
      const result = await kpm(["dev", "secrets", "set", "--dir", dir, "generic/keep", "value"], { input });
      expect(result).toEqual({ code: 1, stdout: "", stderr });
      expect(await kpm(["get", "kv/keep#value"])).toEqual({ code: 0, stdout: KEPT, stderr: "" });
    });
  }
});

describe("the dev server refuses such values with a fixed 400", () => {
  test("a \\u0000 or \\ud800 escape in a field: 400 with a fixed text, audited without the value", async () => {
    const client = createClient({ server: addr, ...clientFiles });
    try {
      for (const [value, text] of [
        [NUL_VALUE, "secret value contains a NUL byte"],
        [SURROGATE_VALUE, "secret value is not valid UTF-8"],
      ] as const) {
        const failure = await client.writeSecret("svc/keep", { value }).catch((error: unknown) => error);
        expect(failure).toBeInstanceOf(AgentKmsError);
        expect((failure as AgentKmsError).status).toBe(400);
        expect((failure as AgentKmsError).message).toContain(`${text} (invalid_request)`);
        expect((failure as AgentKmsError).message).not.toContain(MARKER);
        const last = readAuditEvents({ auditPath: join(dir, "audit.ndjson") }).at(-1);
        expect(last).toMatchObject({ operation: "secret_write", outcome: "denied", deny_reason: text });
      }
      expect(await client.fetchRegistrySecret("svc/keep")).toEqual({ value: KEPT });
    } finally {
      client.close();
    }
  });

  test("raw invalid UTF-8 in the body: 400 with a fixed body (Go would store U+FFFD)", async () => {
    const tls = {
      cert: readFileSync(clientFiles.cert, "utf8"),
      key: readFileSync(clientFiles.key, "utf8"),
      ca: readFileSync(clientFiles.ca, "utf8"),
    };
    const auth = await fetch(`${addr}/auth/session`, { method: "POST", tls });
    const { token } = (await auth.json()) as { token: string };
    const body = new Uint8Array([...new TextEncoder().encode('{"value":"'), ...INVALID_UTF8, 0x22, 0x7d]);
    const response = await fetch(`${addr}/secrets/svc/keep`, {
      method: "POST",
      headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
      body,
      tls,
    });
    expect({ status: response.status, body: await response.text() }).toEqual({
      status: 400,
      body: '{"error":"secret body is not valid UTF-8","code":"invalid_request"}\n',
    });
    expect(await kpm(["get", "svc/keep"])).toEqual({ code: 0, stdout: KEPT, stderr: "" });
  });
});

describe("the marker is nowhere", () => {
  test("not in any output, listener debug log, audit record, server log or file kpm wrote", () => {
    expect(outputs.filter((text) => text.includes(MARKER))).toEqual([]);
    const logs = readdirSync(sandbox.runtimeDir).filter((name) => name.endsWith(".log"));
    expect(logs.length).toBeGreaterThan(0);
    const files = [...filesUnder(sandbox.root), ...filesUnder(dir)];
    expect(files).toContain(join(dir, "server.log"));
    expect(files).toContain(join(dir, "audit.ndjson"));
    const withMarker = files.filter(
      (path) => !path.endsWith(".bin") && readFileSync(path).includes(Buffer.from(MARKER)),
    );
    expect(withMarker).toEqual([]);
  });
});
