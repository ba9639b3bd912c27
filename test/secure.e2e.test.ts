// `kpm run --secure` end to end (§9.1, §9.3, §9.4, §18 items 13–15): a stub tool that prints its
// environment, real allow-list files, and a real `kpm dev serve` whose audit log proves that
// filtered references are never requested.
// biome-ignore-all lint/suspicious/noTemplateCurlyInString: templates spell ${kms:…} literally
import { afterAll, beforeAll, beforeEach, describe, expect, test } from "bun:test";
import { chmodSync, existsSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import {
  type AuditEvent,
  type Fixture,
  KPM_BINARY,
  type KpmResult,
  parseEnvLines,
  parseShellExports,
  readAuditEvents,
  runKpmProcess,
  type Sandbox,
  startFixture,
  type TestDevServer,
  vendedKeys,
  writeKpmConfig,
} from "./helpers/kpm-env.ts";

const SECRETS = {
  ANTHROPIC_API_KEY: "sk-ant-SECUREMARKER-a1",
  ANTHROPIC_ADMIN_KEY: "sk-adm-SECUREMARKER-a2",
  OPENAI_API_KEY: "sk-oai-SECUREMARKER-o3",
  DB_PASSWORD: "pw-SECUREMARKER-d4",
  DB_USER: "user-SECUREMARKER-u5",
  GH_TOKEN: "ghp-SECUREMARKER-g6",
} as const;
const MARKERS = Object.values(SECRETS);

/** Five KMS secrets (ANTHROPIC_* twice, two on one kv path) and two plain entries. */
const TEMPLATE = [
  "ANTHROPIC_API_KEY=${kms:llm/anthropic}",
  "OPENAI_API_KEY=${kms:llm/openai}",
  "APP_ENV=development",
  "DB_PASSWORD=${kms:kv/db/prod#password}",
  "DB_USER=${kms:kv/db/prod#user}",
  "ANTHROPIC_ADMIN_KEY=${kms:kv/anthropic/admin#key}",
  "LOG_LEVEL=debug",
].join("\n");
const KMS_NAMES = ["ANTHROPIC_API_KEY", "OPENAI_API_KEY", "DB_PASSWORD", "DB_USER", "ANTHROPIC_ADMIN_KEY"];
const PLAIN = { APP_ENV: "development", LOG_LEVEL: "debug" };

/** The variables a test cares about: template names plus kpm's session variables. */
const WATCHED = [...KMS_NAMES, "GH_TOKEN", "KPM_SESSION", "KPM_DECRYPT_SOCK", "APP_ENV", "LOG_LEVEL"];

let fixture: Fixture;
let sandbox: Sandbox;
let server: TestDevServer;
let project: string;
let bin: string;
let userAllowlist: string;
let projectAllowlist: string;

function writeAllowlist(path: string, text: string): void {
  mkdirSync(join(path, ".."), { recursive: true });
  writeFileSync(path, text);
}

/** `kpm trust <dir>`: a project's .kpm files are used only once trusted (test/trust.e2e.test.ts). */
async function trustProject(dir: string): Promise<void> {
  const result = await runKpmProcess(["trust", dir], { env: sandbox.env });
  expect(result.code).toBe(0);
}

function watched(env: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(env).filter(([name]) => WATCHED.includes(name)));
}

interface SecureRun {
  result: KpmResult;
  child: Record<string, string>;
  events: AuditEvent[];
}

/** `kpm run --secure --no-masking [flags] -- <tool>` in the project dir; the stub prints `env`. */
async function secureRun(
  opts: {
    flags?: string[];
    tool?: string;
    env?: Record<string, string | undefined>;
    binary?: boolean;
    masking?: boolean;
  } = {},
): Promise<SecureRun> {
  const before = readAuditEvents(server).length;
  const masking = opts.masking ? [] : ["--no-masking"];
  const result = await runKpmProcess(
    ["run", "--secure", ...masking, ...(opts.flags ?? []), "--", opts.tool ?? "claude"],
    {
      env: { ...sandbox.env, PATH: `${bin}:${sandbox.env.PATH}`, ...opts.env },
      cwd: project,
      binary: opts.binary,
    },
  );
  return {
    result,
    child: watched(parseEnvLines(result.stdout)),
    events: readAuditEvents(server).slice(before),
  };
}

function expectNoMarkers(text: string): void {
  for (const marker of MARKERS) expect(text).not.toContain(marker);
}

beforeAll(async () => {
  fixture = await startFixture({
    "llm/anthropic": { api_key: SECRETS.ANTHROPIC_API_KEY },
    "llm/openai": { api_key: SECRETS.OPENAI_API_KEY },
    "generic/db/prod": { password: SECRETS.DB_PASSWORD, user: SECRETS.DB_USER },
    "generic/anthropic/admin": { key: SECRETS.ANTHROPIC_ADMIN_KEY },
    "generic/github": { token: SECRETS.GH_TOKEN },
  });
  ({ server, sandbox } = fixture);

  project = join(sandbox.root, "proj");
  mkdirSync(join(project, ".kpm/templates"), { recursive: true });
  // Auto-discovered for the tool "claude" (§5.5); --secure prefers it over env-scan mode.
  writeFileSync(join(project, ".kpm/templates/claude.template"), `${TEMPLATE}\n`);
  await trustProject(project);
  bin = join(sandbox.root, "bin");
  mkdirSync(bin);
  for (const tool of ["claude", "aider", "gemini"]) {
    writeFileSync(join(bin, tool), "#!/bin/sh\nenv\n");
    chmodSync(join(bin, tool), 0o755);
  }
  userAllowlist = join(sandbox.home, ".config/kpm/secure-allowlist.yaml");
  projectAllowlist = join(project, ".kpm/secure-allowlist.yaml");
});

afterAll(async () => {
  await fixture.close();
});

beforeEach(() => {
  rmSync(userAllowlist, { force: true });
  rmSync(projectAllowlist, { force: true });
});

describe("kpm run --secure filtering", () => {
  test("the child gets exactly the allowed secret and the plain entries; filtered ones are never fetched", async () => {
    writeAllowlist(userAllowlist, "claude:\n  - ANTHROPIC_API_KEY\n");
    const { result, child, events } = await secureRun();
    expect(result.stderr).toBe("");
    expect(result.code).toBe(0);
    expect(child).toEqual({ ANTHROPIC_API_KEY: SECRETS.ANTHROPIC_API_KEY, ...PLAIN });
    expect(result.stdout).not.toContain("ENC[");
    expect(vendedKeys(events)).toEqual(["llm/anthropic"]);
  });

  test("the tool is the basename of the command as typed, and piped output masks the allowed value", async () => {
    writeAllowlist(userAllowlist, "claude: [ANTHROPIC_API_KEY]\n");
    const { result, child, events } = await secureRun({ tool: join(bin, "claude"), masking: true });
    expect(result.stderr).toBe("");
    expect(child).toEqual({ ANTHROPIC_API_KEY: "<concealed by kpm>", ...PLAIN });
    expectNoMarkers(result.stdout);
    expect(vendedKeys(events)).toEqual(["llm/anthropic"]);
  });

  test("inherited sessions, blobs and filtered variables never reach the child", async () => {
    writeAllowlist(userAllowlist, "claude: [ANTHROPIC_API_KEY]\n");
    // A loaded default session (ENC blobs + KPM_SESSION + KPM_DECRYPT_SOCK) and a strict one.
    const sessionTemplate = join(sandbox.home, "session.template");
    writeFileSync(
      sessionTemplate,
      "GH_TOKEN=${kms:kv/github#token}\nDB_PASSWORD=${kms:kv/db/prod#password}\nANTHROPIC_API_KEY=${kms:llm/anthropic}\n",
    );
    const loaded = await runKpmProcess(["env", "--from", sessionTemplate, "--output", "shell"], {
      env: sandbox.env,
    });
    expect(loaded.code).toBe(0);
    const strict = await runKpmProcess(["env", "--strict", "--from", sessionTemplate, "--output", "shell"], {
      env: sandbox.env,
    });
    expect(strict.code).toBe(0);
    const strictBlob = parseShellExports(strict.stdout).GH_TOKEN ?? "";
    const inherited: Record<string, string> = {
      ...parseShellExports(loaded.stdout),
      STRICT_COPY: strictBlob,
      OPENAI_API_KEY: "inherited-openai-value",
    };
    expect(inherited.KPM_SESSION).toMatch(/^s[0-9a-f]{8}$/);
    expect(inherited.GH_TOKEN).toStartWith("ENC[kpm:");

    const { result, child, events } = await secureRun({ env: inherited });
    expect(result.stderr).toBe("");
    expect(child).toEqual({ ANTHROPIC_API_KEY: SECRETS.ANTHROPIC_API_KEY, ...PLAIN });
    expect(parseEnvLines(result.stdout).STRICT_COPY).toBeUndefined();
    expect(result.stdout).not.toContain("ENC[");
    expect(result.stdout).not.toContain(inherited.KPM_DECRYPT_SOCK ?? "no-socket");
    expect(vendedKeys(events)).toEqual(["llm/anthropic"]);
  });

  test("a glob entry allows every matching variable", async () => {
    writeAllowlist(userAllowlist, 'claude: ["ANTHROPIC_*"]\n');
    const { result, child, events } = await secureRun();
    expect(result.stderr).toBe("");
    expect(child).toEqual({
      ANTHROPIC_API_KEY: SECRETS.ANTHROPIC_API_KEY,
      ANTHROPIC_ADMIN_KEY: SECRETS.ANTHROPIC_ADMIN_KEY,
      ...PLAIN,
    });
    expect(vendedKeys(events)).toEqual(["generic/anthropic/admin", "llm/anthropic"]);
  });

  test("the project allow-list wins over the user's, and KPM_PROJECT_DIR moves the project root", async () => {
    writeAllowlist(userAllowlist, "claude: [OPENAI_API_KEY, DB_PASSWORD, DB_USER]\n");
    writeAllowlist(projectAllowlist, "claude: [DB_PASSWORD]\n");
    await trustProject(project);
    const fromProject = await secureRun();
    expect(fromProject.child).toEqual({ DB_PASSWORD: SECRETS.DB_PASSWORD, ...PLAIN });

    const elsewhere = join(sandbox.root, "elsewhere");
    writeAllowlist(join(elsewhere, ".kpm/secure-allowlist.yaml"), "claude: [DB_USER]\n");
    await trustProject(elsewhere);
    const fromOverride = await secureRun({ env: { KPM_PROJECT_DIR: elsewhere } });
    expect(fromOverride.child).toEqual({ DB_USER: SECRETS.DB_USER, ...PLAIN });

    // A project root without a file falls through to the user's list (no walking, no merging).
    const fromUser = await secureRun({ env: { KPM_PROJECT_DIR: join(sandbox.root, "bin") } });
    expect(fromUser.child).toEqual({
      OPENAI_API_KEY: SECRETS.OPENAI_API_KEY,
      DB_PASSWORD: SECRETS.DB_PASSWORD,
      DB_USER: SECRETS.DB_USER,
      ...PLAIN,
    });
  });

  test("a trusted project allow-list can narrow what the user's list grants a tool, never widen it", async () => {
    writeAllowlist(userAllowlist, "claude: [OPENAI_API_KEY]\n");
    writeAllowlist(projectAllowlist, "claude: [OPENAI_API_KEY, DB_PASSWORD]\n");
    await trustProject(project);
    const bounded = await secureRun();
    expect(bounded.child).toEqual({ OPENAI_API_KEY: SECRETS.OPENAI_API_KEY, ...PLAIN });
    expect(vendedKeys(bounded.events)).toEqual(["llm/openai"]);
  });

  test("a tool missing from the list, or mapped to null, gets a warning and no KMS secret; the child still runs", async () => {
    for (const list of ["cursor: [ANTHROPIC_API_KEY]\n", "claude:\n"]) {
      writeAllowlist(userAllowlist, list);
      const { result, child, events } = await secureRun({ env: { DB_PASSWORD: "inherited" } });
      expect(result.stderr).toBe('kpm: --secure: tool "claude" not in allow-list; all secrets filtered\n');
      expect(result.code).toBe(0);
      expect(child).toEqual(PLAIN);
      // Nothing survived, so kpm did not even authenticate.
      expect(events).toEqual([]);
    }
  });

  test("an empty list filters every KMS secret silently", async () => {
    writeAllowlist(userAllowlist, "claude: []\n");
    const { result, child, events } = await secureRun();
    expect(result).toMatchObject({ code: 0, stderr: "" });
    expect(child).toEqual(PLAIN);
    expect(events).toEqual([]);
  });

  test('a lone "*" allows everything and says so on every run', async () => {
    writeAllowlist(userAllowlist, 'claude: ["*"]\n');
    const { result, child } = await secureRun();
    expect(result.stderr).toBe('kpm: --secure: tool "claude" is allowed every secret ("*")\n');
    expect(child).toEqual({
      ANTHROPIC_API_KEY: SECRETS.ANTHROPIC_API_KEY,
      OPENAI_API_KEY: SECRETS.OPENAI_API_KEY,
      DB_PASSWORD: SECRETS.DB_PASSWORD,
      DB_USER: SECRETS.DB_USER,
      ANTHROPIC_ADMIN_KEY: SECRETS.ANTHROPIC_ADMIN_KEY,
      ...PLAIN,
    });
  });

  test("--secure --strict filters first, then makes one request per surviving variable", async () => {
    writeAllowlist(userAllowlist, "claude: [ANTHROPIC_API_KEY, DB_PASSWORD, DB_USER]\n");
    const { result, child, events } = await secureRun({ flags: ["--strict"] });
    expect(result.stderr).toBe("");
    expect(child).toEqual({
      ANTHROPIC_API_KEY: SECRETS.ANTHROPIC_API_KEY,
      DB_PASSWORD: SECRETS.DB_PASSWORD,
      DB_USER: SECRETS.DB_USER,
      ...PLAIN,
    });
    expect(vendedKeys(events)).toEqual(["generic/db/prod", "generic/db/prod", "llm/anthropic"]);

    const batched = await secureRun();
    expect(vendedKeys(batched.events)).toEqual(["generic/db/prod", "llm/anthropic"]);
  });
});

describe("kpm run --secure refusals", () => {
  test("no allow-list names both paths it checked and runs nothing", async () => {
    const { result, events } = await secureRun();
    expect(result).toEqual({
      code: 1,
      stdout: "",
      stderr: `kpm: --secure requires an allow-list; create ${projectAllowlist} or ${userAllowlist}\n`,
    });
    expect(events).toEqual([]);
  });

  test("no template is an error even when a session is loaded", async () => {
    writeAllowlist(userAllowlist, "gemini: [GEMINI_API_KEY]\n");
    const { result } = await secureRun({ tool: "gemini", env: { KPM_SESSION: "s0123abcd" } });
    expect(result).toEqual({
      code: 1,
      stdout: "",
      stderr: `kpm: --secure requires a template file (no --from, no gemini.template found, default template "${join(project, ".env.template")}" not found)\n`,
    });
  });

  test("--secure with --plaintext is refused by run and --secure by env, both usage errors (exit 2)", async () => {
    writeAllowlist(userAllowlist, "claude: [ANTHROPIC_API_KEY]\n");
    const { result, events } = await secureRun({ flags: ["--plaintext"] });
    expect(result).toEqual({
      code: 2,
      stdout: "",
      stderr: "kpm: --secure and --plaintext are mutually exclusive\nRun 'kpm run --help' for usage.\n",
    });
    expect(events).toEqual([]);
    const env = await runKpmProcess(["env", "--secure"], { env: sandbox.env, cwd: project });
    expect(env.code).toBe(2);
    expect(env.stdout).toBe("");
  });

  const badLists: Array<[string, string, string]> = [
    [
      "a tool mapped to a string",
      "claude: ANTHROPIC_API_KEY\n",
      ':1: tool "claude" must map to a list of variable names',
    ],
    [
      "a binary pin in the old {path, vars} shape",
      "# pinned\nclaude:\n  path: /usr/bin/claude\n  vars: [ANTHROPIC_API_KEY]\n",
      ':4: tool "claude": "vars" must be pinned to a reference such as llm/anthropic',
    ],
    [
      "a glob with a pin",
      'claude:\n  - "ANTHROPIC_*": llm/anthropic\n',
      ':2: tool "claude": pinned name "ANTHROPIC_*" must be an exact variable name, not a glob',
    ],
    [
      "a YAML alias bomb",
      'a: &a ["X", "X", "X", "X"]\nb: &b [*a, *a, *a, *a]\nc: &c [*b, *b, *b, *b]\nclaude: [*c, *c, *c, *c]\n',
      ":1: aliases are not allowed",
    ],
    [
      "an empty variable name",
      'claude:\n  - ANTHROPIC_API_KEY\n  - ""\n',
      ':3: tool "claude": invalid variable name pattern ""',
    ],
    [
      "a non-string entry",
      "claude: [ANTHROPIC_API_KEY, 42]\n",
      ':1: tool "claude": entry 2 must be a string',
    ],
    [
      "a top-level list",
      "- claude\n",
      ":1: top level must be a mapping of tool name to a list of variable names",
    ],
  ];
  for (const [name, text, problem] of badLists) {
    test(`an allow-list with ${name} is a parse error with file:line, never "allow everything"`, async () => {
      writeAllowlist(userAllowlist, text);
      const { result, events } = await secureRun();
      expect(result).toEqual({
        code: 1,
        stdout: "",
        stderr: `kpm: parse secure-allowlist.yaml: ${userAllowlist}${problem}\n`,
      });
      expect(events).toEqual([]);
    });
  }

  test("a 5 MB allow-list is refused as too large before parsing", async () => {
    writeAllowlist(userAllowlist, `claude: ["*"]\n${"# padding padding padding padding\n".repeat(150_000)}`);
    expect(statSync(userAllowlist).size).toBeGreaterThan(5_000_000);
    const { result, events } = await secureRun();
    expect(result).toEqual({
      code: 1,
      stdout: "",
      stderr: `kpm: parse secure-allowlist.yaml: ${userAllowlist}: file too large (max 1 MiB)\n`,
    });
    expect(events).toEqual([]);
  });
});

describe("audit of --secure decisions", () => {
  test("--verbose prints one kpm_audit line per KMS entry in template order, without values", async () => {
    writeAllowlist(userAllowlist, 'claude: ["ANTHROPIC_*", DB_USER]\n');
    const { result } = await secureRun({ flags: ["--verbose"] });
    const auditLines = result.stderr.split("\n").filter((line) => line.startsWith("kpm_audit"));
    expect(auditLines).toEqual([
      "kpm_audit action=secure_allow  tool=claude var=ANTHROPIC_API_KEY ref=llm/anthropic outcome=allowed",
      "kpm_audit action=secure_filter tool=claude var=OPENAI_API_KEY ref=llm/openai outcome=denied",
      "kpm_audit action=secure_filter tool=claude var=DB_PASSWORD ref=kv/db/prod#password outcome=denied",
      "kpm_audit action=secure_allow  tool=claude var=DB_USER ref=kv/db/prod#user outcome=allowed",
      "kpm_audit action=secure_allow  tool=claude var=ANTHROPIC_ADMIN_KEY ref=kv/anthropic/admin#key outcome=allowed",
    ]);
    expectNoMarkers(result.stderr);
  });

  test("KPM_AUDIT_LOG gets one 0600 NDJSON record per KMS entry, with outcomes and mode but no value", async () => {
    writeAllowlist(userAllowlist, "claude: [ANTHROPIC_API_KEY, DB_PASSWORD, MISSING_TOKEN]\n");
    const template = join(sandbox.root, "audited.template");
    writeFileSync(template, `${TEMPLATE}\nMISSING_TOKEN=\${kms:kv/nowhere#token}\n`);
    const log = join(sandbox.root, "secure-audit.ndjson");
    for (const mode of ["default", "strict"]) {
      rmSync(log, { force: true });
      // --allow-missing: the unavailable variable is audited and the child still runs.
      const flags = ["--allow-missing", "--from", template, ...(mode === "strict" ? ["--strict"] : [])];
      const { result, child } = await secureRun({ flags, env: { KPM_AUDIT_LOG: log } });
      expect(result.code).toBe(0);
      expect(result.stderr).toStartWith("kpm: unset MISSING_TOKEN: ");
      expect(child).toEqual({
        ANTHROPIC_API_KEY: SECRETS.ANTHROPIC_API_KEY,
        DB_PASSWORD: SECRETS.DB_PASSWORD,
        ...PLAIN,
      });
      expect(statSync(log).mode & 0o777).toBe(0o600);
      const text = readFileSync(log, "utf8");
      expectNoMarkers(text);
      const all = text
        .trimEnd()
        .split("\n")
        .map((line) => JSON.parse(line) as Record<string, string>);
      // The run's last record says what the tool received (test/secure-env-policy.e2e.test.ts).
      expect(all.at(-1)?.action).toBe("secure_env");
      const records = all.slice(0, -1);
      for (const record of records) {
        expect(Object.keys(record)).toEqual([
          "ts",
          "action",
          "tool",
          "var",
          "ref",
          "outcome",
          "mode",
          "confinement",
        ]);
        // How the tool was confined (test/confine.e2e.test.ts checks the values).
        expect(record.confinement).toMatch(/^(landlock \(ABI \d+\)|none \(.+\))$/);
        expect(record.ts).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
        expect(record.tool).toBe("claude");
        expect(record.mode).toBe(mode);
      }
      const byVariable = records
        .map((record) => `${record.var} ${record.ref} ${record.action} ${record.outcome}`)
        .sort();
      expect(byVariable).toEqual([
        "ANTHROPIC_ADMIN_KEY kv/anthropic/admin#key secure_filter denied",
        "ANTHROPIC_API_KEY llm/anthropic secure_allow allowed",
        "DB_PASSWORD kv/db/prod#password secure_allow allowed",
        "DB_USER kv/db/prod#user secure_filter denied",
        "MISSING_TOKEN kv/nowhere#token secure_allow unavailable",
        "OPENAI_API_KEY llm/openai secure_filter denied",
      ]);
    }
  });

  test("config audit_log is relative to the config file, and KPM_AUDIT_LOG overrides it", async () => {
    // One record per KMS entry, then the run's secure_env record.
    const perRun = KMS_NAMES.length + 1;
    writeAllowlist(userAllowlist, "claude: [ANTHROPIC_API_KEY]\n");
    writeKpmConfig(sandbox.home, server, { audit_log: "logs-secure.ndjson" });
    const configured = join(sandbox.home, ".config/kpm/logs-secure.ndjson");
    const override = join(sandbox.root, "override.ndjson");
    try {
      await secureRun();
      const lines = readFileSync(configured, "utf8").trimEnd().split("\n");
      expect(lines).toHaveLength(perRun);
      expect(statSync(configured).mode & 0o777).toBe(0o600);
      await secureRun({ env: { KPM_AUDIT_LOG: override } });
      expect(readFileSync(configured, "utf8").trimEnd().split("\n")).toHaveLength(perRun);
      expect(readFileSync(override, "utf8").trimEnd().split("\n")).toHaveLength(perRun);
    } finally {
      writeKpmConfig(sandbox.home, server);
    }
  });

  test("an audit log that cannot be opened stops the run before anything is fetched", async () => {
    writeAllowlist(userAllowlist, "claude: [ANTHROPIC_API_KEY]\n");
    const blocker = join(sandbox.root, "not-a-dir");
    writeFileSync(blocker, "");
    const log = join(blocker, "audit.ndjson");
    const { result, events } = await secureRun({ env: { KPM_AUDIT_LOG: log } });
    expect(result).toEqual({
      code: 1,
      stdout: "",
      stderr: `kpm: cannot open audit log ${log}: not a directory\n`,
    });
    expect(events).toEqual([]);
  });
});

describe("compiled dist/kpm (smoke)", () => {
  test.skipIf(!existsSync(KPM_BINARY))(
    "run --secure filters before fetching and scrubs kpm state",
    async () => {
      writeAllowlist(userAllowlist, "claude: [ANTHROPIC_API_KEY]\n");
      const { result, child, events } = await secureRun({
        binary: true,
        flags: ["--verbose"],
        env: { KPM_SESSION: "s0123abcd", DB_PASSWORD: "inherited" },
      });
      expect(result.code).toBe(0);
      expect(child).toEqual({ ANTHROPIC_API_KEY: SECRETS.ANTHROPIC_API_KEY, ...PLAIN });
      expect(result.stderr).toContain(
        "kpm_audit action=secure_allow  tool=claude var=ANTHROPIC_API_KEY ref=llm/anthropic outcome=allowed\n",
      );
      expect(vendedKeys(events)).toEqual(["llm/anthropic"]);
    },
  );
});
