// `kpm run --secure --confine=…` end to end with the compiled binary: a Node, a Python and a shell
// tool (and a child each starts) keep their allow-listed secret and the project, and lose kpm's
// key file, config, trust store and dev-server directory under Landlock — applied by kpm just
// before it spawns (setpriv at hand) or by the exec step (without setpriv); with --confine=off the
// same reads succeed (so this test can fail). The fallback line, the refusal of `required`, the
// --verbose lines and the audit field are checked too.
// biome-ignore-all lint/suspicious/noTemplateCurlyInString: templates spell ${kms:…} literally
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { chmodSync, copyFileSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { landlockAbi } from "@kpm/libc";
import { type Fixture, type KpmResult, runKpmProcess, startFixture } from "./helpers/kpm-env.ts";

const SECRET = "sk-ant-CONFINEMARKER-1";
const abi = landlockAbi();
const landlock = process.platform === "linux" && abi.ok;
if (!landlock)
  console.warn(
    `confine.e2e.test.ts: no Landlock on this machine (${abi.ok ? process.platform : abi.reason}): the confinement tests are SKIPPED, only the fallback is checked`,
  );

const FIXTURES = join(import.meta.dir, "fixtures", "confine");
const TOOLS = { "agent-sh": "probe.sh", "agent-node": "probe.mjs", "agent-py": "probe.py" } as const;
const FALLBACK_LINE =
  "kpm: --secure: no confinement available (Landlock not supported by this kernel); the agent can read kpm's key files";

let fixture: Fixture;
let project: string;
let bin: string;
let probes: Record<string, string>;
const kpmFiles = ["key", "config", "trust", "dev"];

beforeAll(async () => {
  fixture = await startFixture({ "llm/anthropic": { api_key: SECRET } });
  const { sandbox, server } = fixture;
  project = join(sandbox.root, "proj");
  mkdirSync(join(project, ".kpm/templates"), { recursive: true });
  writeFileSync(join(project, "README"), "project file\n");
  bin = join(sandbox.root, "bin");
  mkdirSync(bin);
  const allowlist: string[] = [];
  for (const [tool, file] of Object.entries(TOOLS)) {
    writeFileSync(
      join(project, `.kpm/templates/${tool}.template`),
      "ANTHROPIC_API_KEY=${kms:llm/anthropic}\n",
    );
    copyFileSync(join(FIXTURES, file), join(bin, tool));
    chmodSync(join(bin, tool), 0o755);
    allowlist.push(`${tool}: [ANTHROPIC_API_KEY]`);
  }
  writeFileSync(join(sandbox.home, ".config/kpm/secure-allowlist.yaml"), `${allowlist.join("\n")}\n`);
  const trusted = await runKpmProcess(["trust", project], { env: sandbox.env });
  expect(trusted.code).toBe(0);
  probes = {
    key: server.clientFiles.key,
    config: join(sandbox.home, ".config/kpm/config.yaml"),
    trust: join(sandbox.home, ".local/share/kpm/trust.json"),
    dev: join(server.dir, "ca.key"),
    project: join(project, "README"),
  };
  for (const path of Object.values(probes)) readFileSync(path); // each one exists
});

afterAll(async () => {
  await fixture.close();
});

async function secureRun(
  tool: string,
  flags: string[] = [],
  env: Record<string, string> = {},
): Promise<KpmResult> {
  const pairs = Object.entries(probes).map(([label, path]) => `${label}=${path}`);
  return runKpmProcess(["run", "--secure", "--no-masking", ...flags, "--", tool, ...pairs], {
    env: {
      ...fixture.sandbox.env,
      PATH: `${bin}:${fixture.sandbox.env.PATH}`,
      AGENTKMS_DIR: fixture.server.dir,
      ...env,
    },
    cwd: project,
    binary: true,
  });
}

/** label → "READ" | "DENIED", for the file itself and through the tool's child. */
function outcomes(stdout: string): Record<string, string> {
  const result: Record<string, string> = {};
  for (const line of stdout.split("\n")) {
    const match = /^(READ|DENIED) (\S+)$/.exec(line);
    if (match) result[match[2] as string] = match[1] as string;
  }
  return result;
}

function expected(kpmOutcome: "READ" | "DENIED"): Record<string, string> {
  const result: Record<string, string> = {};
  for (const label of Object.keys(probes)) {
    const outcome = kpmFiles.includes(label) ? kpmOutcome : "READ";
    result[label] = outcome;
    result[`child-${label}`] = outcome;
  }
  return result;
}

describe.if(landlock)("Landlock confinement (default --confine=auto)", () => {
  for (const tool of Object.keys(TOOLS)) {
    test(`${tool}: keeps its secret and the project, and neither it nor its child can read kpm's files`, async () => {
      const result = await secureRun(tool);
      expect(result.stderr).toBe("");
      expect(result.code).toBe(0);
      expect(result.stdout).toContain("GOT secret");
      expect(outcomes(result.stdout)).toEqual(expected("DENIED"));
    });
  }

  test("without setpriv the exec step confines itself before it becomes the tool", async () => {
    const result = await secureRun("agent-py", [], { KPM_TEST_NO_SETPRIV: "1" });
    expect(result.stderr).toBe("");
    expect(result.code).toBe(0);
    expect(result.stdout).toContain("GOT secret");
    expect(outcomes(result.stdout)).toEqual(expected("DENIED"));
  });

  test("--confine=off: the same tool reads every one of them (the attack the default stops)", async () => {
    const result = await secureRun("agent-sh", ["--confine=off"]);
    expect(result.stderr).toBe("");
    expect(result.code).toBe(0);
    expect(outcomes(result.stdout)).toEqual(expected("READ"));
  });

  test("config confine: off is the default that --confine=auto or required overrides", async () => {
    const config = probes.config as string;
    const original = readFileSync(config, "utf8");
    writeFileSync(config, `${original}confine: "off"\n`);
    try {
      expect(outcomes((await secureRun("agent-sh")).stdout)).toEqual(expected("READ"));
      expect(outcomes((await secureRun("agent-sh", ["--confine=auto"])).stdout)).toEqual(expected("DENIED"));
      expect(outcomes((await secureRun("agent-sh", ["--confine=required"])).stdout)).toEqual(
        expected("DENIED"),
      );
    } finally {
      writeFileSync(config, original);
    }
  });

  test("--verbose names the mechanism, its ABI and each denied path", async () => {
    const result = await secureRun("agent-sh", ["--verbose"]);
    expect(result.code).toBe(0);
    const { home } = fixture.sandbox;
    expect(result.stderr).toContain(`kpm: --secure: confinement: landlock (ABI ${abi.ok ? abi.value : 0})\n`);
    for (const path of [
      join(home, ".config/kpm"),
      join(home, ".local/share/kpm"),
      join(home, ".agentkms"),
      fixture.server.dir,
    ])
      expect(result.stderr).toContain(`kpm: --secure: denied to the tool: ${path}\n`);
    expect(result.stderr).not.toContain(SECRET);
  });

  test("each audit record says how the tool was confined", async () => {
    const log = join(fixture.sandbox.root, "confine-audit.ndjson");
    for (const [flags, summary] of [
      [[], `landlock (ABI ${abi.ok ? abi.value : 0})`],
      [["--confine=off"], "off"],
    ] as const) {
      rmSync(log, { force: true });
      const result = await secureRun("agent-sh", [...flags], { KPM_AUDIT_LOG: log });
      expect(result.code).toBe(0);
      const record = JSON.parse(readFileSync(log, "utf8").trim().split("\n")[0] as string);
      expect(record.confinement).toBe(summary);
    }
    rmSync(log, { force: true });
  });
});

describe("without a confinement mechanism (KPM_TEST_NO_LANDLOCK=1)", () => {
  test("auto says so in one line and runs the tool unconfined", async () => {
    const result = await secureRun("agent-sh", [], { KPM_TEST_NO_LANDLOCK: "1" });
    expect(result.stderr).toBe(`${FALLBACK_LINE}\n`);
    expect(result.code).toBe(0);
    expect(outcomes(result.stdout)).toEqual(expected("READ"));
  });

  test("required refuses with exit 1 before anything runs", async () => {
    const result = await secureRun("agent-sh", ["--confine=required"], { KPM_TEST_NO_LANDLOCK: "1" });
    expect(result.code).toBe(1);
    expect(result.stdout).toBe("");
    expect(result.stderr).toBe(
      [
        "kpm: --secure --confine=required: no confinement available (Landlock not supported by this kernel); the command was not started",
        "  run it with --confine=auto to accept running unconfined",
        "",
      ].join("\n"),
    );
  });
});

describe("--confine usage", () => {
  test("a value other than auto, required or off, or no --secure, is a usage error", async () => {
    const env = { ...fixture.sandbox.env, PATH: `${bin}:${fixture.sandbox.env.PATH}` };
    const bad = await runKpmProcess(["run", "--secure", "--confine=maybe", "--", "agent-sh"], {
      env,
      cwd: project,
      binary: true,
    });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toStartWith('kpm: --confine must be auto, required or off (got "maybe")\n');
    const alone = await runKpmProcess(["run", "--confine=off", "--", "agent-sh"], {
      env,
      cwd: project,
      binary: true,
    });
    expect(alone.code).toBe(2);
    expect(alone.stderr).toStartWith("kpm: --confine applies only with --secure\n");
  });
});
