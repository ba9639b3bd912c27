// The inherited-environment policy of `kpm run --secure` end to end (docs/security.md, "Inherited
// environment"): the compiled dist/kpm against a real `kpm dev serve`, a stub tool that prints its
// whole environment, and credentials planted in kpm's own environment as a shell would hold them.
// Without --secure the tool reads every one of them (the attack); with it they are dropped unless
// the allow-list grants them, and no planted value reaches any output, audit record or file.
// biome-ignore-all lint/suspicious/noTemplateCurlyInString: templates spell ${kms:…} literally
import { afterAll, beforeAll, beforeEach, describe, expect, test } from "bun:test";
import { chmodSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import {
  type Fixture,
  filesUnder,
  type KpmResult,
  parseEnvLines,
  runKpmProcess,
  startFixture,
} from "./helpers/kpm-env.ts";
import { ensureCompiledBinary } from "./helpers/run-kpm.ts";

const ANTHROPIC = "sk-ant-ENVPOLICY-granted-0";

/** What a developer's shell might hold; each looks like a credential by name or by value. */
const PLANTED = {
  GH_TOKEN: "ghp-ENVMARKER-1",
  AWS_SECRET_ACCESS_KEY: "aws-ENVMARKER-2",
  // Detected by value: innocuous names, credential-shaped values.
  BUILD_SETTING: "sk-ant-api03-ENVMARKER3-abcdefghijklmnop",
  // A PEM key with escaped newlines, as .env files and CI settings hold one.
  DEPLOY_MATERIAL: "-----BEGIN PRIVATE KEY-----\\nENVMARKER4\\n-----END PRIVATE KEY-----",
  UPSTREAM_ID: "Xk9vQ2mP7rT4wZ8bN3cF6hJ1qENVMARKER5",
  SSH_AUTH_SOCK: "/tmp/ssh-ENVMARKER6/agent.sock",
} as const;
const MARKERS = Object.values(PLANTED);
const DROPPED = Object.keys(PLANTED).sort();

/** Passes: the base set (whatever it holds) and variables that look like nothing. */
const HARMLESS = {
  LC_ALL: "C.UTF-8",
  XDG_SESSION_TYPE: "tty",
  TZ: "UTC",
  EDITOR: "vi",
  HTTPS_PROXY: "http://proxyuser:proxypass@127.0.0.1:9",
  no_proxy: "localhost",
  PLAIN_SETTING: "hello world",
  GIT_COMMIT: "3f786850e387550fdab836ed7e6dc881de23001b",
} as const;

let fixture: Fixture;
let bin: string;
let template: string;
let allowlist: string;
let auditLog: string;

interface PolicyRun {
  result: KpmResult;
  child: Record<string, string>;
  audit: string;
}

async function run(flags: string[], extraEnv: Record<string, string> = {}): Promise<PolicyRun> {
  rmSync(auditLog, { force: true });
  const result = await runKpmProcess(["run", ...flags, "--no-masking", "--from", template, "--", "claude"], {
    env: {
      ...fixture.sandbox.env,
      PATH: `${bin}:${fixture.sandbox.env.PATH}`,
      KPM_AUDIT_LOG: auditLog,
      ...HARMLESS,
      ...PLANTED,
      ...extraEnv,
    },
    cwd: fixture.sandbox.home,
    binary: true,
  });
  let audit = "";
  try {
    audit = readFileSync(auditLog, "utf8");
  } catch {
    // Without --secure nothing is audited.
  }
  return { result, child: parseEnvLines(result.stdout), audit };
}

/** No planted value in kpm's stderr, the audit log, or any file of the sandbox. */
function expectNoMarkerOutsideTheChild(policy: PolicyRun): void {
  for (const marker of MARKERS) {
    expect(policy.result.stdout.includes(marker), `${marker} in stdout`).toBe(false);
    expect(policy.result.stderr.includes(marker), `${marker} in stderr`).toBe(false);
    expect(policy.audit.includes(marker), `${marker} in the audit log`).toBe(false);
  }
  for (const file of filesUnder(fixture.sandbox.root)) {
    const text = readFileSync(file).toString("latin1");
    for (const marker of MARKERS) expect(text.includes(marker), `${marker} in ${file}`).toBe(false);
  }
}

beforeAll(async () => {
  ensureCompiledBinary();
  fixture = await startFixture({ "llm/anthropic": { api_key: ANTHROPIC } });
  bin = join(fixture.sandbox.root, "bin");
  mkdirSync(bin);
  writeFileSync(join(bin, "claude"), "#!/bin/sh\nenv\n");
  chmodSync(join(bin, "claude"), 0o755);
  template = join(fixture.sandbox.root, "claude.template");
  writeFileSync(template, "ANTHROPIC_API_KEY=${kms:llm/anthropic}\nAPP_ENV=development\n");
  allowlist = join(fixture.sandbox.home, ".config/kpm/secure-allowlist.yaml");
  auditLog = join(fixture.sandbox.root, "audit.ndjson");
});

afterAll(async () => {
  await fixture.close();
});

beforeEach(() => writeFileSync(allowlist, "claude: {ANTHROPIC_API_KEY: llm/anthropic}\n"));

describe("inherited credentials", () => {
  test("without --secure, the attack works: the tool reads every credential the shell holds", async () => {
    const { result, child } = await run([]);
    expect(result.code).toBe(0);
    for (const [name, value] of Object.entries(PLANTED)) expect(child[name]).toBe(value);
  });

  test("--secure drops each one with one counting line; the base set, plain values and grants pass", async () => {
    const policy = await run(["--secure"]);
    const { result, child } = policy;
    expect(result.code).toBe(0);
    expect(result.stderr).toBe(
      `kpm: --secure: dropped ${DROPPED.length} inherited variables that look like credentials (use --verbose to name them)\n`,
    );
    for (const name of DROPPED) expect(child[name]).toBeUndefined();
    for (const [name, value] of Object.entries(HARMLESS)) expect(child[name]).toBe(value);
    expect(child.PATH).toStartWith(bin);
    expect(child.HOME).toBe(fixture.sandbox.home);
    expect(child.KPM_AUDIT_LOG).toBe(auditLog);
    expect(child.ANTHROPIC_API_KEY).toBe(ANTHROPIC);
    expect(child.APP_ENV).toBe("development");
    expectNoMarkerOutsideTheChild(policy);
  });

  test("--verbose names the dropped variables and what the tool received, never a value", async () => {
    const policy = await run(["--secure", "--verbose"]);
    const { result } = policy;
    expect(result.code).toBe(0);
    const lines = result.stderr.split("\n");
    expect(lines).toContain(
      `kpm: --secure: dropped ${DROPPED.length} inherited variables that look like credentials: ${DROPPED.join(", ")}`,
    );
    const envLines = lines.filter((line) => line.startsWith("kpm_env "));
    expect(envLines.filter((line) => line.includes("outcome=dropped"))).toEqual([
      "kpm_env tool=claude var=AWS_SECRET_ACCESS_KEY source=inherited outcome=dropped rule=name-prefix",
      "kpm_env tool=claude var=BUILD_SETTING source=inherited outcome=dropped rule=anthropic-key",
      "kpm_env tool=claude var=DEPLOY_MATERIAL source=inherited outcome=dropped rule=pem-private-key",
      "kpm_env tool=claude var=GH_TOKEN source=inherited outcome=dropped rule=name-word",
      "kpm_env tool=claude var=SSH_AUTH_SOCK source=inherited outcome=dropped rule=agent-socket",
      "kpm_env tool=claude var=UPSTREAM_ID source=inherited outcome=dropped rule=high-entropy",
    ]);
    expect(envLines).toContain("kpm_env tool=claude var=APP_ENV source=template");
    expect(envLines).toContain("kpm_env tool=claude var=ANTHROPIC_API_KEY source=kms ref=llm/anthropic");
    const inherited = envLines.find((line) => line.includes("source=inherited count="));
    expect(inherited).toContain(",PLAIN_SETTING,");
    expect(inherited).not.toContain("GH_TOKEN");
    expect(result.stderr.includes(ANTHROPIC)).toBe(false);
    expectNoMarkerOutsideTheChild(policy);
  });

  test("the audit log gets a secure_env record: names, references and dropped rules", async () => {
    const policy = await run(["--secure"]);
    expect(policy.result.code).toBe(0);
    const records = policy.audit
      .trimEnd()
      .split("\n")
      .map((line) => JSON.parse(line) as Record<string, unknown>);
    const record = records.at(-1) as Record<string, unknown>;
    expect(record.action).toBe("secure_env");
    expect(record.tool).toBe("claude");
    expect(record.kms).toEqual([{ var: "ANTHROPIC_API_KEY", ref: "llm/anthropic" }]);
    expect(record.template).toEqual(["APP_ENV"]);
    expect(record.granted).toEqual([]);
    expect((record.dropped as Array<{ var: string }>).map((drop) => drop.var)).toEqual(DROPPED);
    expect(record.inherited).toContain("PLAIN_SETTING");
    expect(policy.audit.includes(ANTHROPIC)).toBe(false);
    expectNoMarkerOutsideTheChild(policy);
  });

  test("names the allow-list grants pass: a listed name, inherit: names and globs", async () => {
    writeFileSync(
      allowlist,
      'claude:\n  - GH_TOKEN\n  - ANTHROPIC_API_KEY: llm/anthropic\n    inherit: [SSH_AUTH_SOCK, "AWS_*"]\n',
    );
    const { result, child, audit } = await run(["--secure"]);
    expect(result.code).toBe(0);
    expect(result.stderr).toBe(
      "kpm: --secure: dropped 3 inherited variables that look like credentials (use --verbose to name them)\n",
    );
    expect(child.GH_TOKEN).toBe(PLANTED.GH_TOKEN);
    expect(child.SSH_AUTH_SOCK).toBe(PLANTED.SSH_AUTH_SOCK);
    expect(child.AWS_SECRET_ACCESS_KEY).toBe(PLANTED.AWS_SECRET_ACCESS_KEY);
    for (const name of ["BUILD_SETTING", "DEPLOY_MATERIAL", "UPSTREAM_ID"])
      expect(child[name]).toBeUndefined();
    const record = JSON.parse(audit.trimEnd().split("\n").at(-1) as string) as Record<string, unknown>;
    expect(record.granted).toEqual(["AWS_SECRET_ACCESS_KEY", "GH_TOKEN", "SSH_AUTH_SOCK"]);
  });

  test("nothing dropped, nothing said: stderr stays empty", async () => {
    const empty = Object.fromEntries(Object.keys(PLANTED).map((name) => [name, ""]));
    const { result, child } = await run(["--secure"], empty);
    expect(result.code).toBe(0);
    expect(result.stderr).toBe("");
    expect(child.ANTHROPIC_API_KEY).toBe(ANTHROPIC);
  });
});
