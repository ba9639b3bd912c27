// Tool pinning end to end (docs/allowlist.md "Tool settings", docs/security.md "Tool pinning"): the
// compiled dist/kpm against a real `kpm dev serve`. Another program named like an allowed tool —
// earlier on PATH, or a copy elsewhere — gets the tool's secrets without a pin (the attack) and is
// refused with one (exit 1, nothing fetched). `kpm allow` writes the pin, run as nobody.
// biome-ignore-all lint/suspicious/noTemplateCurlyInString: templates spell ${kms:…} literally
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import {
  chmodSync,
  copyFileSync,
  mkdirSync,
  readFileSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { join } from "node:path";
import {
  type Fixture,
  KPM_BINARY,
  type KpmResult,
  parseEnvLines,
  readAuditEvents,
  runKpmProcess,
  startFixture,
  vendedKeys,
} from "./helpers/kpm-env.ts";
import { type NobodyHome, nobodyHome } from "./helpers/nobody-home.ts";
import { AS_NOBODY } from "./helpers/processes.ts";
import { ensureCompiledBinary } from "./helpers/run-kpm.ts";
import { runToEnd } from "./helpers/run-to-end.ts";

const ANTHROPIC = "sk-ant-PINTOOL-secret-1";
const TOOL = "#!/bin/sh\nenv\n";
/** Not claude: it only wants claude's secrets. */
const IMPOSTOR = "#!/bin/sh\necho IMPOSTOR_RAN=yes\nenv\n";

let fixture: Fixture;
/** The real claude lives in opt/; bin/claude links to it (as npm and Homebrew install tools). */
let opt: string;
let bin: string;
let evil: string;
let real: string;
let digest: string;
let template: string;
let allowlist: string;

interface ToolRun {
  result: KpmResult;
  child: Record<string, string>;
  vended: string[];
}

async function run(
  command: string,
  path: string,
  flags: string[] = [],
  extraEnv: Record<string, string> = {},
): Promise<ToolRun> {
  const before = readAuditEvents(fixture.server).length;
  const result = await runKpmProcess(
    ["run", "--secure", "--no-masking", ...flags, "--from", template, "--", command],
    {
      env: { ...fixture.sandbox.env, PATH: `${path}:/usr/bin:/bin`, ...extraEnv },
      cwd: fixture.sandbox.home,
      binary: true,
    },
  );
  const vended = vendedKeys(readAuditEvents(fixture.server).slice(before));
  return { result, child: parseEnvLines(result.stdout), vended };
}

function sha256(text: string): string {
  return new Bun.CryptoHasher("sha256").update(text).digest("hex");
}

beforeAll(async () => {
  ensureCompiledBinary();
  fixture = await startFixture({ "llm/anthropic": { api_key: ANTHROPIC } });
  const root = fixture.sandbox.root;
  opt = join(root, "opt");
  bin = join(root, "bin");
  evil = join(root, "evil");
  for (const dir of [opt, bin, evil]) mkdirSync(dir);
  real = join(opt, "claude");
  writeFileSync(real, TOOL);
  chmodSync(real, 0o755);
  symlinkSync(real, join(bin, "claude"));
  writeFileSync(join(evil, "claude"), IMPOSTOR);
  chmodSync(join(evil, "claude"), 0o755);
  digest = sha256(TOOL);
  template = join(root, "claude.template");
  writeFileSync(template, "ANTHROPIC_API_KEY=${kms:llm/anthropic}\n");
  allowlist = join(fixture.sandbox.home, ".config/kpm/secure-allowlist.yaml");
});

afterAll(async () => {
  await fixture.close();
});

describe("another program named claude", () => {
  test("without a pin, the attack works: the first claude on PATH gets claude's secret", async () => {
    writeFileSync(allowlist, "claude: {ANTHROPIC_API_KEY: llm/anthropic}\n");
    const { result, child } = await run("claude", `${evil}:${bin}`);
    expect(result.code).toBe(0);
    expect(child.IMPOSTOR_RAN).toBe("yes");
    expect(child.ANTHROPIC_API_KEY).toBe(ANTHROPIC);
  });

  test("a path pin runs the pinned file, found through a PATH link, and executes its real path", async () => {
    writeFileSync(allowlist, `claude: {path: ${join(bin, "claude")}, ANTHROPIC_API_KEY: llm/anthropic}\n`);
    const { result, child } = await run("claude", bin, ["--verbose"]);
    expect(result.code).toBe(0);
    expect(child.ANTHROPIC_API_KEY).toBe(ANTHROPIC);
    expect(result.stderr).toContain(`kpm_env tool=claude exec=${real} pinned=ok`);
    // The same through kpm's exec step, which replaces setpriv where it is missing.
    const stepped = await run("claude", bin, [], { KPM_TEST_NO_SETPRIV: "1" });
    expect(stepped.result.code).toBe(0);
    expect(stepped.child.ANTHROPIC_API_KEY).toBe(ANTHROPIC);
  });

  test("a path pin refuses an impostor earlier on PATH: exit 1, one line, nothing fetched", async () => {
    writeFileSync(allowlist, `claude: {path: ${real}, ANTHROPIC_API_KEY: llm/anthropic}\n`);
    const { result, vended } = await run("claude", `${evil}:${bin}`);
    expect(result).toEqual({
      code: 1,
      stdout: "",
      stderr: `kpm: --secure: claude: ${join(evil, "claude")} is not the pinned ${real}; not started\n`,
    });
    expect(vended).toEqual([]);
  });

  test("a path pin refuses a byte-identical copy of the tool elsewhere, typed as a path", async () => {
    writeFileSync(allowlist, `claude: {path: ${real}, ANTHROPIC_API_KEY: llm/anthropic}\n`);
    const copy = join(fixture.sandbox.tmp, "claude");
    copyFileSync(real, copy);
    chmodSync(copy, 0o755);
    try {
      const { result, vended } = await run(copy, bin);
      expect(result.code).toBe(1);
      expect(result.stderr).toBe(`kpm: --secure: claude: ${copy} is not the pinned ${real}; not started\n`);
      expect(vended).toEqual([]);
    } finally {
      rmSync(copy);
    }
  });

  test("a sha256 pin passes the same content anywhere and refuses other content", async () => {
    writeFileSync(allowlist, `claude: {sha256: ${digest}, ANTHROPIC_API_KEY: llm/anthropic}\n`);
    const good = await run("claude", bin);
    expect(good.result.code).toBe(0);
    expect(good.child.ANTHROPIC_API_KEY).toBe(ANTHROPIC);
    const bad = await run("claude", `${evil}:${bin}`);
    expect(bad.result).toEqual({
      code: 1,
      stdout: "",
      stderr: `kpm: --secure: claude: ${join(evil, "claude")} has sha256 ${sha256(IMPOSTOR)}, the allow-list pins ${digest}; not started\n`,
    });
    expect(bad.vended).toEqual([]);
  });

  test("a pin to a file that is gone refuses the run", async () => {
    const gone = join(opt, "gone");
    writeFileSync(allowlist, `claude: {path: ${gone}, ANTHROPIC_API_KEY: llm/anthropic}\n`);
    const { result } = await run("claude", bin);
    expect(result.code).toBe(1);
    expect(result.stderr).toBe(
      `kpm: --secure: claude: the allow-list pins ${gone}, which does not exist; not started\n`,
    );
  });
});

describe("kpm allow (as nobody, fresh HOME)", () => {
  let nobody: NobodyHome;
  let tools: string;
  let impostors: string;
  let list: string;

  beforeAll(() => {
    nobody = nobodyHome(fixture.server);
    tools = join(nobody.root, "tools");
    mkdirSync(tools);
    writeFileSync(join(tools, "claude"), TOOL);
    chmodSync(join(tools, "claude"), 0o755);
    impostors = join(nobody.root, "impostors");
    mkdirSync(impostors);
    writeFileSync(join(impostors, "claude"), IMPOSTOR);
    chmodSync(join(impostors, "claude"), 0o755);
    list = join(nobody.home, ".config/kpm/secure-allowlist.yaml");
    writeFileSync(
      list,
      "# my agents\ncodex: [OPENAI_API_KEY] # reviewed\n# claude gets one key\nclaude: {ANTHROPIC_API_KEY: llm/anthropic}\n",
    );
    writeFileSync(join(nobody.home, "claude.template"), "ANTHROPIC_API_KEY=${kms:llm/anthropic}\n");
    nobody.chown();
  });
  afterAll(() => nobody.cleanup());

  const asNobody = (args: string[], path: string) =>
    runToEnd([...AS_NOBODY, KPM_BINARY, ...args], {
      env: { ...nobody.env, PATH: `${path}:/usr/bin:/bin` },
      cwd: nobody.home,
    });

  test("writes path and sha256 for the claude on PATH, 0600, keeping comments and other entries", async () => {
    const result = await asNobody(["allow", "claude"], tools);
    expect(result.code).toBe(0);
    expect(result.stderr).toBe(`✓ pinned claude to ${join(tools, "claude")}, sha256 ${digest} in ${list}\n`);
    expect(statSync(list).mode & 0o777).toBe(0o600);
    expect(statSync(list).uid).toBe(65534);
    expect(readFileSync(list, "utf8")).toBe(
      `# my agents\ncodex: [OPENAI_API_KEY] # reviewed\n# claude gets one key\nclaude:\n  ANTHROPIC_API_KEY: llm/anthropic\n  path: ${join(tools, "claude")}\n  sha256: ${digest}\n`,
    );
    // The pinned tool runs; an impostor earlier on PATH does not.
    const runArgs = ["run", "--secure", "--no-masking", "--from", "claude.template", "--", "claude"];
    const ok = await asNobody(runArgs, tools);
    expect(ok.code).toBe(0);
    expect(parseEnvLines(ok.stdout).ANTHROPIC_API_KEY).toBe(ANTHROPIC);
    const refused = await asNobody(runArgs, `${impostors}:${tools}`);
    expect(refused).toEqual({
      code: 1,
      stdout: "",
      stderr: `kpm: --secure: claude: ${join(impostors, "claude")} is not the pinned ${join(tools, "claude")}; not started\n`,
    });
  });

  test("--path-only pins the path and drops the digest; a tool not on PATH is one line, exit 1", async () => {
    const result = await asNobody(["allow", "--path-only", "claude"], tools);
    expect(result.code).toBe(0);
    expect(readFileSync(list, "utf8")).toEndWith(
      `claude:\n  ANTHROPIC_API_KEY: llm/anthropic\n  path: ${join(tools, "claude")}\n`,
    );
    const missing = await asNobody(["allow", "nowhere"], tools);
    expect(missing).toEqual({
      code: 1,
      stdout: "",
      stderr: "kpm allow: nowhere: executable file not found in $PATH\n",
    });
  });
});
