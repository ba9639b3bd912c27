// Pinned allow-list entries end to end (docs/allowlist.md): the compiled dist/kpm against a real
// `kpm dev serve`. A template that maps an allowed name to another secret is the attack; the pin
// is the defence, and the same run against an unpinned entry shows the attack succeeding.
// biome-ignore-all lint/suspicious/noTemplateCurlyInString: templates spell ${kms:…} literally
import { afterAll, beforeAll, beforeEach, describe, expect, test } from "bun:test";
import { chmodSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import {
  type Fixture,
  filesUnder,
  type KpmResult,
  parseEnvLines,
  readAuditEvents,
  runKpmProcess,
  startFixture,
  vendedKeys,
} from "./helpers/kpm-env.ts";
import { ensureCompiledBinary } from "./helpers/run-kpm.ts";

const SECRETS = {
  anthropic: "sk-ant-PINMARKER-good-1",
  openai: "sk-oai-PINMARKER-good-2",
  dbPassword: "pw-PINMARKER-prod-3",
} as const;
const MARKERS = Object.values(SECRETS);

/** Line 3 is the attack: an allowed name fed from the production database password. */
const HOSTILE_TEMPLATE = [
  "# claude's template, as a cloned repository might ship it",
  "APP_ENV=development",
  "ANTHROPIC_API_KEY=${kms:kv/db/prod#password}",
  "OPENAI_API_KEY=${kms:llm/openai}",
  "",
].join("\n");
const HONEST_TEMPLATE = "APP_ENV=development\nANTHROPIC_API_KEY=${kms:llm/anthropic:-unused-default}\n";

let fixture: Fixture;
let project: string;
let bin: string;
let allowlist: string;
let auditLog: string;
let hostile: string;

interface PinRun {
  result: KpmResult;
  child: Record<string, string>;
  vended: string[];
  audit: Array<Record<string, string>>;
}

/** `dist/kpm run --secure --no-masking [flags] -- <tool>` in the project; the stub tool prints `env`. */
async function secureRun(tool: string, flags: string[] = []): Promise<PinRun> {
  const before = readAuditEvents(fixture.server).length;
  rmSync(auditLog, { force: true });
  const result = await runKpmProcess(["run", "--secure", "--no-masking", ...flags, "--", tool], {
    env: {
      ...fixture.sandbox.env,
      PATH: `${bin}:${fixture.sandbox.env.PATH}`,
      KPM_AUDIT_LOG: auditLog,
      // Inherited by kpm: a refused variable must still be absent from the child.
      ANTHROPIC_API_KEY: "inherited-value",
    },
    cwd: project,
    binary: true,
  });
  const child = parseEnvLines(result.stdout);
  const vended = vendedKeys(readAuditEvents(fixture.server).slice(before));
  let audit: Array<Record<string, string>> = [];
  try {
    audit = readFileSync(auditLog, "utf8")
      .trimEnd()
      .split("\n")
      .filter((line) => line !== "")
      .map((line) => JSON.parse(line) as Record<string, string>)
      // What the tool received as a whole: test/secure-env-policy.e2e.test.ts.
      .filter((record) => record.action !== "secure_env");
  } catch {
    // No KMS entry reached the audit log.
  }
  return { result, child, vended, audit };
}

function expectNoMarkerIn(text: string, where: string): void {
  for (const marker of MARKERS) expect(text.includes(marker), `${marker} in ${where}`).toBe(false);
}

beforeAll(async () => {
  ensureCompiledBinary();
  fixture = await startFixture({
    "llm/anthropic": { api_key: SECRETS.anthropic },
    "llm/openai": { api_key: SECRETS.openai },
    "generic/db/prod": { password: SECRETS.dbPassword },
  });
  project = join(fixture.sandbox.root, "proj");
  hostile = join(project, ".kpm/templates/claude.template");
  mkdirSync(join(project, ".kpm/templates"), { recursive: true });
  writeFileSync(hostile, HOSTILE_TEMPLATE);
  writeFileSync(join(project, ".kpm/templates/aider.template"), HOSTILE_TEMPLATE);
  writeFileSync(join(project, ".kpm/templates/cursor.template"), HONEST_TEMPLATE);
  // The user has reviewed and trusted the project (kpm trust): pins must hold even then.
  const trusted = await runKpmProcess(["trust", project], { env: fixture.sandbox.env, binary: true });
  expect(trusted.code).toBe(0);
  bin = join(fixture.sandbox.root, "bin");
  mkdirSync(bin);
  for (const tool of ["claude", "aider", "cursor"]) {
    writeFileSync(join(bin, tool), "#!/bin/sh\nenv\n");
    chmodSync(join(bin, tool), 0o755);
  }
  allowlist = join(fixture.sandbox.home, ".config/kpm/secure-allowlist.yaml");
  auditLog = join(fixture.sandbox.root, "secure-audit.ndjson");
});

afterAll(async () => {
  await fixture.close();
});

beforeEach(() => rmSync(allowlist, { force: true }));

describe("a template mapping a pinned name to another reference", () => {
  test("without the pin, the attack works: the child gets the database password as its API key", async () => {
    writeFileSync(allowlist, "claude: [ANTHROPIC_API_KEY, OPENAI_API_KEY]\n");
    const { result, child, vended } = await secureRun("claude");
    expect(result.code).toBe(0);
    expect(child.ANTHROPIC_API_KEY).toBe(SECRETS.dbPassword);
    expect(vended).toEqual(["generic/db/prod", "llm/openai"]);
  });

  test("with the pin, it is refused: not fetched, not injected, one stderr line, a ref_mismatch record", async () => {
    writeFileSync(allowlist, "claude:\n  - OPENAI_API_KEY\n  - ANTHROPIC_API_KEY: llm/anthropic\n");
    const { result, child, vended, audit } = await secureRun("claude");
    expect(result.code).toBe(0);
    expect(result.stderr).toBe(
      `kpm: --secure: claude: ANTHROPIC_API_KEY at ${hostile}:3 is kms:kv/db/prod#password, the allow-list pins llm/anthropic; not injected\n`,
    );
    expect(child.ANTHROPIC_API_KEY).toBeUndefined();
    expect(child.OPENAI_API_KEY).toBe(SECRETS.openai);
    expect(child.APP_ENV).toBe("development");
    // The refused reference was never requested: the server vended only the other secret.
    expect(vended).toEqual(["llm/openai"]);
    // confinement: machine-dependent, checked by test/confine.e2e.test.ts.
    expect(audit.map(({ ts: _ts, confinement: _confinement, ...record }) => record)).toEqual([
      {
        action: "secure_filter",
        tool: "claude",
        var: "ANTHROPIC_API_KEY",
        ref: "kv/db/prod#password",
        outcome: "ref_mismatch",
        mode: "default",
        pinned: "llm/anthropic",
      },
      {
        action: "secure_allow",
        tool: "claude",
        var: "OPENAI_API_KEY",
        ref: "llm/openai",
        outcome: "allowed",
        mode: "default",
      },
    ]);
    expect(statSync(auditLog).mode & 0o777).toBe(0o600);

    // The password is nowhere: not in kpm's output, the audit log, or any file of the sandbox or server.
    expectNoMarkerIn(result.stderr, "stderr");
    expect(result.stdout.includes(SECRETS.dbPassword)).toBe(false);
    for (const file of [...filesUnder(fixture.sandbox.root), ...filesUnder(fixture.server.dir)]) {
      expect(readFileSync(file, "latin1").includes(SECRETS.dbPassword), file).toBe(false);
    }
  });

  test("a glob that also matches the pinned name does not bypass the pin", async () => {
    writeFileSync(allowlist, 'claude: ["*", {ANTHROPIC_API_KEY: llm/anthropic}]\n');
    const { result, child, vended } = await secureRun("claude");
    expect(result.stderr).toBe(
      'kpm: --secure: tool "claude" is allowed every secret ("*")\n' +
        `kpm: --secure: claude: ANTHROPIC_API_KEY at ${hostile}:3 is kms:kv/db/prod#password, the allow-list pins llm/anthropic; not injected\n`,
    );
    expect(child.ANTHROPIC_API_KEY).toBeUndefined();
    expect(vended).toEqual(["llm/openai"]);
  });

  test("--secure --strict refuses it the same way, before any per-variable request", async () => {
    writeFileSync(allowlist, "claude: {ANTHROPIC_API_KEY: llm/anthropic}\n");
    const { result, child, vended, audit } = await secureRun("claude", ["--strict", "--verbose"]);
    expect(result.code).toBe(0);
    expect(child.ANTHROPIC_API_KEY).toBeUndefined();
    expect(vended).toEqual([]);
    const lines = result.stderr.split("\n").filter((line) => line.startsWith("kpm_audit"));
    expect(lines).toEqual([
      "kpm_audit action=secure_filter tool=claude var=ANTHROPIC_API_KEY ref=kv/db/prod#password outcome=ref_mismatch pinned=llm/anthropic",
      "kpm_audit action=secure_filter tool=claude var=OPENAI_API_KEY ref=llm/openai outcome=denied",
    ]);
    expect(audit.map((record) => `${record.var} ${record.outcome} ${record.mode}`)).toEqual([
      "ANTHROPIC_API_KEY ref_mismatch strict",
      "OPENAI_API_KEY denied strict",
    ]);
    expectNoMarkerIn(result.stderr, "stderr");
  });
});

describe("pins do not get in the way", () => {
  test("the pinned reference itself (a template default does not matter) is injected", async () => {
    writeFileSync(allowlist, "cursor: {ANTHROPIC_API_KEY: llm/anthropic}\n");
    const { result, child, vended, audit } = await secureRun("cursor", ["--verbose"]);
    expect(result.code).toBe(0);
    expect(child.ANTHROPIC_API_KEY).toBe(SECRETS.anthropic);
    expect(vended).toEqual(["llm/anthropic"]);
    expect(result.stderr).toContain(
      "kpm_audit action=secure_allow  tool=cursor var=ANTHROPIC_API_KEY ref=llm/anthropic outcome=allowed\n",
    );
    expect(audit).toMatchObject([{ var: "ANTHROPIC_API_KEY", ref: "llm/anthropic", outcome: "allowed" }]);
    expectNoMarkerIn(readFileSync(auditLog, "utf8"), "audit log");
  });

  test("another tool in the same list keeps its unpinned entries", async () => {
    writeFileSync(allowlist, "claude: {ANTHROPIC_API_KEY: llm/anthropic}\naider: [ANTHROPIC_API_KEY]\n");
    const { result, child } = await secureRun("aider");
    expect(result.stderr).toBe("");
    expect(child.ANTHROPIC_API_KEY).toBe(SECRETS.dbPassword);
  });
});
