// `--strict` end to end (§7.4–7.5, §8.1, §8.2, §9.2, §18 items 11, 15–17): the real CLI from
// source against a real `kpm dev serve` over mTLS, counting the server's audit events to prove
// that env fetches nothing, every decrypt is one uncached request, and denial means absence.
// biome-ignore-all lint/suspicious/noTemplateCurlyInString: templates and shell scripts spell ${…} literally
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { existsSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { formatStrictBlob, parseStrictBlob } from "@kpm/strict-codec";
import { startRouteMissingServer } from "./helpers/fault-server.ts";
import {
  type AuditEvent,
  type Fixture,
  KPM_BINARY,
  type KpmResult,
  parseShellExports,
  readAuditEvents,
  runKpmProcess,
  type Sandbox,
  startFixture,
  type TestDevServer,
  writeKpmConfig,
} from "./helpers/kpm-env.ts";

const ANTHROPIC_KEY = "sk-ant-STRICTMARKER-7f3a9c";
const DB_PASSWORD = "pw-STRICTMARKER-db-41";
const DB_USER = "admin-STRICTMARKER-u";
const MARKERS = [ANTHROPIC_KEY, DB_PASSWORD, DB_USER];

const TEMPLATE = [
  "ANTHROPIC_API_KEY=${kms:llm/anthropic}",
  "DB_PASSWORD=${kms:kv/db/prod#password}",
  "DB_USER=${kms:kv/db/prod#user}",
  "REGION=${kms:kv/db/prod#region:-eu-west-1}",
  "PLAIN=hello world",
].join("\n");

const DENY_ANTHROPIC_POLICY = `version: "1"
rules:
  - id: deny-anthropic
    description: no LLM keys for this caller
    match:
      operations: [credential_vend]
      key_ids: ["llm/anthropic"]
    effect: deny
  - id: allow-the-rest
    match:
      identity: { roles: [developer, service, agent] }
    effect: allow
`;

const DENIED_ANTHROPIC =
  "strict decrypt denied by policy: fetch LLM anthropic: operation denied by policy (policy_denied)";

type StrictFixture = Fixture & { templatePath: string };

/** A seeded dev server (with `policy` when given), a sandbox configured for it and TEMPLATE written. */
async function strictFixture(policy?: string): Promise<StrictFixture> {
  const fixture = await startFixture(
    {
      "llm/anthropic": { api_key: ANTHROPIC_KEY },
      "generic/db/prod": { password: DB_PASSWORD, user: DB_USER },
    },
    policy === undefined ? {} : { policy },
  );
  const templatePath = join(fixture.sandbox.home, "app.template");
  writeFileSync(templatePath, `${TEMPLATE}\n`);
  return { ...fixture, templatePath };
}

function vends(events: AuditEvent[]): AuditEvent[] {
  return events.filter((event) => event.operation === "credential_vend");
}

/** Audit events written while `action` ran. */
async function auditDuring<T>(
  server: TestDevServer,
  action: () => Promise<T>,
): Promise<{ result: T; events: AuditEvent[] }> {
  const before = readAuditEvents(server).length;
  const result = await action();
  return { result, events: readAuditEvents(server).slice(before) };
}

/** Alive and not a zombie (an exited listener may wait for init to reap it). */
function isRunning(pid: number): boolean {
  try {
    return !/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, "utf8"));
  } catch {
    return false;
  }
}

function expectNoMarkers(text: string): void {
  for (const marker of MARKERS) expect(text).not.toContain(marker);
}

interface StrictSession {
  env: Record<string, string>;
  sessionId: string;
  socket: string;
  result: KpmResult;
}

/** A strict session loaded in a shell of its own, so a later load does not replace it. */
async function envStrict(sandbox: Sandbox, templatePath: string): Promise<StrictSession> {
  const shellPid = String(sandbox.standInShell());
  const args = ["env", "--strict", "--from", templatePath, "--output", "shell", "--shell-pid", shellPid];
  const result = await runKpmProcess(args, { env: sandbox.env });
  expect(result.stderr).not.toContain("error");
  expect(result.code).toBe(0);
  const exported = parseShellExports(result.stdout);
  const sessionId = exported.KPM_SESSION ?? "";
  const socket = exported.KPM_DECRYPT_SOCK ?? "";
  return { env: { ...sandbox.env, ...exported }, sessionId, socket, result };
}

describe("kpm env --strict against an allow-all dev server", () => {
  let fixture: StrictFixture;
  let sandbox: Sandbox;
  let server: TestDevServer;
  let templatePath: string;
  let session: StrictSession;
  let envEvents: AuditEvent[];

  beforeAll(async () => {
    fixture = await strictFixture();
    ({ sandbox, server, templatePath } = fixture);
    const run = await auditDuring(server, () => envStrict(sandbox, templatePath));
    session = run.result;
    envEvents = run.events;
  });

  afterAll(async () => {
    await fixture.close();
  });

  test("env --strict authenticates once and fetches no value", () => {
    expect(envEvents.map((event) => event.operation)).toEqual(["auth"]);
    expect(vends(envEvents)).toEqual([]);
  });

  test("env --strict prints the strict status lines and the session variables", () => {
    expect(session.sessionId).toMatch(/^strict-[0-9a-f]{8}$/);
    expect(session.result.stderr).toBe(
      [
        "✓ Prepared 4 strict references (values are fetched per decrypt)",
        `✓ Strict mode: per-decrypt mTLS round-trip (session: ${session.sessionId}, no session TTL, idle exit after 3600s)`,
        `✓ Decrypt listener: ${session.socket}`,
        "",
      ].join("\n"),
    );
    expect(session.socket).toBe(join(sandbox.runtimeDir, `${session.sessionId}.sock`));
    expect(session.env.PLAIN).toBe("hello world");
  });

  test("strict blobs carry exactly Type, Path, Key and Default and no secret bytes", () => {
    const expected: Record<string, object> = {
      ANTHROPIC_API_KEY: { Type: "llm", Path: "anthropic", Key: "", Default: "" },
      DB_PASSWORD: { Type: "kv", Path: "db/prod", Key: "password", Default: "" },
      DB_USER: { Type: "kv", Path: "db/prod", Key: "user", Default: "" },
      REGION: { Type: "kv", Path: "db/prod", Key: "region", Default: "eu-west-1" },
    };
    for (const [name, ref] of Object.entries(expected)) {
      const blob = session.env[name] ?? "";
      const match = /^ENC\[kpm-strict:(strict-[0-9a-f]{8}):([A-Za-z0-9+/=]+)\]$/.exec(blob);
      expect(match?.[1]).toBe(session.sessionId);
      const json = Buffer.from(match?.[2] ?? "", "base64").toString("utf8");
      expect(Object.keys(JSON.parse(json))).toEqual(["Type", "Path", "Key", "Default"]);
      expect(JSON.parse(json)).toEqual(ref);
      expect(parseStrictBlob(blob).sessionId).toBe(session.sessionId);
    }
    expectNoMarkers(session.result.stdout + session.result.stderr);
  });

  test("the strict listener runs with argv `_listen --session <sid>` only and a strict session record", () => {
    const record = JSON.parse(readFileSync(join(sandbox.runtimeDir, `${session.sessionId}.json`), "utf8"));
    expect(record).toMatchObject({
      session: session.sessionId,
      socket: session.socket,
      strict: true,
      expires_at: null,
      idle_timeout: 3600,
    });
    const argv = readFileSync(`/proc/${record.pid}/cmdline`, "utf8").split("\0").filter(Boolean);
    expect(argv.slice(-3)).toEqual(["_listen", "--session", session.sessionId]);
    const joined = argv.join(" ");
    expect(joined).not.toContain(server.addr);
    expect(joined).not.toContain("client.key");
  });

  test("each kpm decrypt --env is exactly one credential_vend, never cached", async () => {
    for (let round = 0; round < 2; round++) {
      const { result, events } = await auditDuring(server, () =>
        runKpmProcess(["decrypt", "--env", "ANTHROPIC_API_KEY"], { env: session.env }),
      );
      expect(result).toEqual({ code: 0, stdout: ANTHROPIC_KEY, stderr: "" });
      expect(vends(events).map((event) => [event.key_id, event.outcome])).toEqual([
        ["llm/anthropic", "success"],
      ]);
    }
  });

  test("a reference default applies through the listener only when the key is not found", async () => {
    const { result, events } = await auditDuring(server, () =>
      runKpmProcess(["decrypt", "--env", "REGION"], { env: session.env }),
    );
    expect(result).toEqual({ code: 0, stdout: "eu-west-1", stderr: "" });
    expect(vends(events).map((event) => event.key_id)).toEqual(["generic/db/prod"]);
  });

  test("kpm run in env-scan mode decrypts every strict blob with one request each", async () => {
    const { result, events } = await auditDuring(server, () =>
      runKpmProcess(
        [
          "run",
          "--no-masking",
          "--",
          "sh",
          "-c",
          'printf "%s|%s|%s|%s|%s|%s" "$ANTHROPIC_API_KEY" "$DB_PASSWORD" "$DB_USER" "$REGION" "$PLAIN" "$KPM_SESSION"',
        ],
        { env: session.env },
      ),
    );
    expect(result.stderr).toBe("");
    expect(result.stdout).toBe(
      `${ANTHROPIC_KEY}|${DB_PASSWORD}|${DB_USER}|eu-west-1|hello world|${session.sessionId}`,
    );
    expect(result.code).toBe(0);
    // Two variables on the same kv path are still two requests (no batching in strict decrypts).
    expect(
      vends(events)
        .map((event) => event.key_id)
        .sort(),
    ).toEqual(["generic/db/prod", "generic/db/prod", "generic/db/prod", "llm/anthropic"]);
  });

  test("a forged blob with the right sid but another reference is refused without any request", async () => {
    const forgeries = [
      { Type: "llm", Path: "openai", Key: "", Default: "" },
      { Type: "kv", Path: "db/prod", Key: "user", Default: "attacker-default" },
      { Type: "kv", Path: "db/staging", Key: "password", Default: "" },
    ];
    for (const ref of forgeries) {
      const { result, events } = await auditDuring(server, () =>
        runKpmProcess(["decrypt", formatStrictBlob(session.sessionId, ref)], { env: session.env }),
      );
      expect(result).toEqual({
        code: 1,
        stdout: "",
        stderr: "decrypt error: reference not issued for this session\n",
      });
      expect(events).toEqual([]);
    }
  });

  test("a strict blob of another session gets session ID mismatch from this listener", async () => {
    const other = await envStrict(sandbox, templatePath);
    expect(other.sessionId).not.toBe(session.sessionId);
    // KPM_SESSION unset: KPM_DECRYPT_SOCK (this session's listener) is used for any blob (§7.6).
    const env: Record<string, string | undefined> = { ...session.env, KPM_SESSION: undefined };
    const { result, events } = await auditDuring(server, () =>
      runKpmProcess(["decrypt", other.env.DB_PASSWORD ?? ""], { env }),
    );
    expect(result).toEqual({ code: 1, stdout: "", stderr: "decrypt error: session ID mismatch\n" });
    expect(events).toEqual([]);
    // Found by its own sid, the same blob decrypts through its own listener.
    const own = await runKpmProcess(["decrypt", other.env.DB_PASSWORD ?? ""], { env: sandbox.env });
    expect(own).toEqual({ code: 0, stdout: DB_PASSWORD, stderr: "" });
  });

  test("--strict with --plaintext is refused before any work by env and run", async () => {
    const text = "kpm: --strict and --plaintext are mutually exclusive: cannot use both flags together\n";
    const { result: envResult, events } = await auditDuring(server, () =>
      runKpmProcess(["env", "--strict", "--plaintext", "--from", templatePath], { env: sandbox.env }),
    );
    expect(envResult).toEqual({ code: 2, stdout: "", stderr: `${text}Run 'kpm env --help' for usage.\n` });
    const runResult = await runKpmProcess(
      ["run", "--strict", "--plaintext", "--from", templatePath, "--", "true"],
      { env: sandbox.env },
    );
    expect(runResult).toEqual({ code: 2, stdout: "", stderr: `${text}Run 'kpm run --help' for usage.\n` });
    expect(events).toEqual([]);
  });
});

describe("strict revocation and idle exit", () => {
  let fixture: StrictFixture;
  let sandbox: Sandbox;
  let server: TestDevServer;
  let templatePath: string;

  beforeAll(async () => {
    fixture = await strictFixture();
    ({ sandbox, server, templatePath } = fixture);
  });

  afterAll(async () => {
    await fixture.close();
  });

  test("a policy change on a restarted server denies the very next strict decrypt", async () => {
    writeKpmConfig(sandbox.home, server);
    const session = await envStrict(sandbox, templatePath);
    const first = await runKpmProcess(["decrypt", "--env", "ANTHROPIC_API_KEY"], { env: session.env });
    expect(first).toEqual({ code: 0, stdout: ANTHROPIC_KEY, stderr: "" });

    // New process, same dir and port: a new token key, so the listener's token now gets a 401
    // and it must re-authenticate before the policy can even be asked.
    await server.restart({ policy: DENY_ANTHROPIC_POLICY });
    const { result, events } = await auditDuring(server, () =>
      runKpmProcess(["decrypt", "--env", "ANTHROPIC_API_KEY"], { env: session.env }),
    );
    expect(result).toEqual({ code: 1, stdout: "", stderr: `decrypt error: ${DENIED_ANTHROPIC}\n` });
    expect(events.map((event) => [event.operation, event.key_id, event.outcome])).toEqual([
      ["auth", undefined, "success"],
      ["credential_vend", "llm/anthropic", "denied"],
    ]);
    // Other references of the same session are still served.
    const other = await runKpmProcess(["decrypt", "--env", "DB_USER"], { env: session.env });
    expect(other).toEqual({ code: 0, stdout: DB_USER, stderr: "" });
  });

  test("strict_idle_timeout makes the listener exit and remove its socket and record", async () => {
    writeKpmConfig(sandbox.home, server, { strict_idle_timeout: 2 });
    const session = await envStrict(sandbox, templatePath);
    expect(session.result.stderr).toContain("no session TTL, idle exit after 2s)");
    const recordPath = join(sandbox.runtimeDir, `${session.sessionId}.json`);
    const record = JSON.parse(readFileSync(recordPath, "utf8"));
    expect(record).toMatchObject({ strict: true, expires_at: null, idle_timeout: 2 });
    // Wait for the exit (bounded so a listener that never exits fails the test, not the suite).
    const gone = () => !existsSync(session.socket) && !existsSync(recordPath) && !isRunning(record.pid);
    for (let waited = 0; waited < 15_000 && !gone(); waited += 100) await Bun.sleep(100);
    expect(existsSync(session.socket)).toBe(false);
    expect(existsSync(recordPath)).toBe(false);
    expect(isRunning(record.pid)).toBe(false);
    const after = await runKpmProcess(["decrypt", "--env", "DB_USER"], { env: session.env });
    expect(after.code).toBe(1);
    expect(after.stdout).toBe("");
    // Env-scan mode: the orphaned blob is unset with the reload hint, never passed through.
    const scan = await runKpmProcess(["run", "--no-masking", "--", "sh", "-c", 'echo "${DB_USER-UNSET}"'], {
      env: session.env,
    });
    expect(scan.stdout).toBe("UNSET\n");
    expect(scan.stderr.split("\n")).toContain(
      `kpm: unset DB_USER: no decrypt listener for session ${session.sessionId} (expired or not running); reload with: eval "$(kpm env --from ${templatePath} --output shell)"`,
    );
    expect(scan.code).toBe(0);
  });

  test("env --strict fails closed when it cannot authenticate: nothing on stdout, no listener", async () => {
    const sessionRecords = () =>
      existsSync(sandbox.runtimeDir)
        ? readdirSync(sandbox.runtimeDir).filter((name) => name.endsWith(".json"))
        : [];
    const before = sessionRecords();
    const fault = await startRouteMissingServer(server.dir);
    await fault.close();
    const home = join(sandbox.root, "down-home");
    writeKpmConfig(home, { addr: fault.addr, clientFiles: server.clientFiles });
    const result = await runKpmProcess(["env", "--strict", "--from", templatePath, "--output", "shell"], {
      env: { ...sandbox.env, HOME: home },
    });
    expect(result).toEqual({
      code: 1,
      stdout: "",
      stderr: `error: authenticate: connection refused (${fault.addr}) — is AgentKMS running?\n`,
    });
    expect(sessionRecords()).toEqual(before);
  });
});

describe("kpm run --strict in template mode", () => {
  let fixture: StrictFixture;
  let sandbox: Sandbox;
  let server: TestDevServer;
  let templatePath: string;

  beforeAll(async () => {
    fixture = await strictFixture(DENY_ANTHROPIC_POLICY);
    ({ sandbox, server, templatePath } = fixture);
  });

  afterAll(async () => {
    await fixture.close();
  });

  const PRINT_AND_EXIT_7 = [
    "sh",
    "-c",
    'printf "%s|%s|%s|%s|%s" "${ANTHROPIC_API_KEY-UNSET}" "$DB_PASSWORD" "$DB_USER" "$REGION" "$PLAIN"; exit 7',
  ];

  test("a denied variable is unset with one stderr line; the others are set; the child's code is returned", async () => {
    const env = { ...sandbox.env, ANTHROPIC_API_KEY: "stale-inherited-value" };
    const { result, events } = await auditDuring(server, () =>
      runKpmProcess(["run", "--strict", "--no-masking", "--from", templatePath, "--", ...PRINT_AND_EXIT_7], {
        env,
      }),
    );
    expect(result.stderr).toBe(`kpm: unset ANTHROPIC_API_KEY: ${DENIED_ANTHROPIC}\n`);
    expect(result.stdout).toBe(`UNSET|${DB_PASSWORD}|${DB_USER}|eu-west-1|hello world`);
    expect(result.code).toBe(7);
    // One request per variable: three on the same kv path, none shared or cached.
    expect(
      vends(events)
        .map((event) => `${event.key_id} ${event.outcome}`)
        .sort(),
    ).toEqual([
      "generic/db/prod success",
      "generic/db/prod success",
      "generic/db/prod success",
      "llm/anthropic denied",
    ]);
    expect(events.filter((event) => event.operation === "auth")).toHaveLength(1);
  });

  test("default template mode batches the same template into one request per path", async () => {
    const { result, events } = await auditDuring(server, () =>
      runKpmProcess(["run", "--no-masking", "--from", templatePath, "--", ...PRINT_AND_EXIT_7], {
        env: sandbox.env,
      }),
    );
    expect(result.code).toBe(7);
    expect(result.stderr).toBe(
      "kpm: unset ANTHROPIC_API_KEY: fetch LLM anthropic: operation denied by policy (policy_denied)\n",
    );
    expect(
      vends(events)
        .map((event) => event.key_id)
        .sort(),
    ).toEqual(["generic/db/prod", "llm/anthropic"]);
  });

  test("--verbose names the per-variable round trips", async () => {
    const result = await runKpmProcess(
      ["run", "--strict", "--verbose", "--from", templatePath, "--", "true"],
      { env: sandbox.env },
    );
    expect(result.code).toBe(0);
    expect(result.stderr).toContain("✓ Strict mode: 4 per-variable AgentKMS round-trips (no session key)\n");
    expectNoMarkers(result.stderr);
  });

  test("a server without the LLM route yields the upgrade hint; the run fails closed unless --allow-missing", async () => {
    const fault = await startRouteMissingServer(server.dir);
    const home = join(sandbox.root, "fault-home");
    writeKpmConfig(home, { addr: fault.addr, clientFiles: server.clientFiles });
    const env = { ...sandbox.env, HOME: home };
    try {
      const closed = await runKpmProcess(
        ["run", "--strict", "--from", templatePath, "--", "sh", "-c", "echo started"],
        { env },
      );
      expect(closed.stderr.split("\n")).toContain(
        "kpm: cannot resolve ANTHROPIC_API_KEY: strict decrypt failed: fetch LLM anthropic: endpoint not supported by this AgentKMS server (404 page not found); upgrade AgentKMS to v0.3.0 or later",
      );
      expect(closed.stdout).toBe("");
      expect(closed.code).toBe(1);
      const result = await runKpmProcess(
        [
          "run",
          "--allow-missing",
          "--strict",
          "--no-masking",
          "--from",
          templatePath,
          "--",
          "sh",
          "-c",
          "echo ${ANTHROPIC_API_KEY-UNSET}",
        ],
        { env },
      );
      expect(result.stderr.split("\n")).toContain(
        "kpm: unset ANTHROPIC_API_KEY: strict decrypt failed: fetch LLM anthropic: endpoint not supported by this AgentKMS server (404 page not found); upgrade AgentKMS to v0.3.0 or later",
      );
      expect(result.stdout).toBe("UNSET\n");
      expect(result.code).toBe(0);
      expect(fault.requests.filter((request) => request === "GET /credentials/llm/anthropic")).toHaveLength(
        2,
      );

      // The same mapping through a strict listener.
      const session = await envStrict({ ...sandbox, env }, templatePath);
      const decrypted = await runKpmProcess(["decrypt", "--env", "ANTHROPIC_API_KEY"], { env: session.env });
      expect(decrypted).toEqual({
        code: 1,
        stdout: "",
        stderr:
          "decrypt error: strict decrypt failed: fetch LLM anthropic: endpoint not supported by this AgentKMS server (404 page not found); upgrade AgentKMS to v0.3.0 or later\n",
      });
    } finally {
      await fault.close();
    }
  });
});

describe("compiled dist/kpm (smoke)", () => {
  let fixture: StrictFixture;
  let sandbox: Sandbox;
  let server: TestDevServer;
  let templatePath: string;

  beforeAll(async () => {
    fixture = await strictFixture(DENY_ANTHROPIC_POLICY);
    ({ sandbox, server, templatePath } = fixture);
  });

  afterAll(async () => {
    await fixture.close();
  });

  test.skipIf(!existsSync(KPM_BINARY))(
    "env --strict, decrypt and run --strict behave as from source",
    async () => {
      const binary = true;
      const { result: envResult, events: envEvents } = await auditDuring(server, () =>
        runKpmProcess(["env", "--strict", "--from", templatePath, "--output", "shell"], {
          env: sandbox.env,
          binary,
        }),
      );
      expect(envResult.code).toBe(0);
      expect(vends(envEvents)).toEqual([]);
      const env = { ...sandbox.env, ...parseShellExports(envResult.stdout) };
      const record = JSON.parse(readFileSync(join(sandbox.runtimeDir, `${env.KPM_SESSION}.json`), "utf8"));
      const argv = readFileSync(`/proc/${record.pid}/cmdline`, "utf8").split("\0").filter(Boolean);
      expect(argv).toEqual([KPM_BINARY, "_listen", "--session", env.KPM_SESSION ?? ""]);

      const { result: decrypted, events } = await auditDuring(server, () =>
        runKpmProcess(["decrypt", "--env", "DB_PASSWORD"], { env, binary }),
      );
      expect(decrypted).toEqual({ code: 0, stdout: DB_PASSWORD, stderr: "" });
      expect(vends(events)).toHaveLength(1);
      const denied = await runKpmProcess(["decrypt", "--env", "ANTHROPIC_API_KEY"], { env, binary });
      expect(denied).toEqual({ code: 1, stdout: "", stderr: `decrypt error: ${DENIED_ANTHROPIC}\n` });

      const run = await runKpmProcess(
        [
          "run",
          "--strict",
          "--no-masking",
          "--from",
          templatePath,
          "--",
          "sh",
          "-c",
          'echo "${ANTHROPIC_API_KEY-UNSET} $DB_USER"',
        ],
        { env: sandbox.env, binary },
      );
      expect(run).toEqual({
        code: 0,
        stdout: `UNSET ${DB_USER}\n`,
        stderr: `kpm: unset ANTHROPIC_API_KEY: ${DENIED_ANTHROPIC}\n`,
      });
    },
  );
});
