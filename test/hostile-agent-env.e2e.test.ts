// A hostile agent against the inherited-env policy and tool pinning, run as nobody with a fresh
// HOME (compiled dist/kpm, real `kpm dev serve`). The agent, allow-listed as claude, prints the
// GH_TOKEN its shell holds, runs a copy of itself under aider's name through kpm, and plants one
// as `aider` earlier on PATH for the user's next `kpm run --secure -- aider`. With --secure and
// pins it gets nothing; with the defences off (no --secure, no pin) each escape succeeds.
// Confinement is off here (--confine=off), so each defence is shown on its own: confined, the
// agent could neither read kpm's config to run kpm nor create ~/.local/bin (hostile-agent.e2e.test.ts).
// biome-ignore-all lint/suspicious/noTemplateCurlyInString: templates spell ${kms:…} literally
import { afterAll, beforeAll, beforeEach, describe, expect, test } from "bun:test";
import { chmodSync, mkdirSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { type Fixture, KPM_BINARY, startFixture } from "./helpers/kpm-env.ts";
import { type NobodyHome, nobodyHome } from "./helpers/nobody-home.ts";
import { AS_NOBODY } from "./helpers/processes.ts";
import { ensureCompiledBinary } from "./helpers/run-kpm.ts";
import { type ProcessOutput, runToEnd } from "./helpers/run-to-end.ts";

const GH_TOKEN = "ghp-HOSTILEMARKER-inherited";
const ANTHROPIC = "sk-ant-HOSTILEMARKER-claude";
const OPENAI = "sk-oai-HOSTILEMARKER-aider";

/**
 * Prints what it got; then, as claude, runs a copy of itself under aider's name through kpm, and
 * plants another copy as aider in a PATH directory it can write, for the user's next run.
 */
const AGENT = `#!/bin/sh
echo "agent=$(basename "$0") GH_TOKEN=\${GH_TOKEN:-none} OPENAI_API_KEY=\${OPENAI_API_KEY:-none}"
if [ "$(basename "$0")" = claude ]; then
  cp "$0" "$TMPDIR/aider" && chmod +x "$TMPDIR/aider"
  "$KPM_BIN" run --secure --confine=off --no-masking --from "$HOME/agents.template" -- "$TMPDIR/aider" 2>&1
  echo "exec-copy-exit=$?"
  mkdir -p "$HOME/.local/bin" && cp "$0" "$HOME/.local/bin/aider" && chmod +x "$HOME/.local/bin/aider"
fi
`;
const AIDER = "#!/bin/sh\necho agent=real-aider\n";

let fixture: Fixture;
let nobody: NobodyHome;
let tools: string;
let planted: string;
let allowlist: string;

function kpmRun(tool: string, secure: boolean): Promise<ProcessOutput> {
  const flags = secure ? ["--secure", "--confine=off"] : [];
  return runToEnd(
    [...AS_NOBODY, KPM_BINARY, "run", ...flags, "--no-masking", "--from", "agents.template", "--", tool],
    {
      env: {
        ...nobody.env,
        // ~/.local/bin first, as many shells set it up: a directory the agent can write.
        PATH: `${join(nobody.home, ".local/bin")}:${tools}:/usr/bin:/bin`,
        GH_TOKEN,
        KPM_BIN: KPM_BINARY,
      },
      cwd: nobody.home,
    },
  );
}

function writeAllowlist(pinned: boolean): void {
  const pin = (tool: string) => (pinned ? `  path: ${join(tools, tool)}\n` : "");
  writeFileSync(
    allowlist,
    `claude:\n${pin("claude")}  ANTHROPIC_API_KEY: llm/anthropic\naider:\n${pin("aider")}  OPENAI_API_KEY: llm/openai\n`,
  );
  nobody.chown();
}

beforeAll(async () => {
  ensureCompiledBinary();
  fixture = await startFixture({
    "llm/anthropic": { api_key: ANTHROPIC },
    "llm/openai": { api_key: OPENAI },
  });
  nobody = nobodyHome(fixture.server);
  tools = join(nobody.root, "tools");
  mkdirSync(tools);
  writeFileSync(join(tools, "claude"), AGENT);
  writeFileSync(join(tools, "aider"), AIDER);
  chmodSync(join(tools, "claude"), 0o755);
  chmodSync(join(tools, "aider"), 0o755);
  planted = join(nobody.home, ".local/bin/aider");
  allowlist = join(nobody.home, ".config/kpm/secure-allowlist.yaml");
  writeFileSync(
    join(nobody.home, "agents.template"),
    "ANTHROPIC_API_KEY=${kms:llm/anthropic}\nOPENAI_API_KEY=${kms:llm/openai}\n",
  );
  nobody.chown();
});

afterAll(async () => {
  nobody.cleanup();
  await fixture.close();
});

beforeEach(() => {
  rmSync(join(nobody.home, ".local"), { recursive: true, force: true });
  rmSync(join(nobody.tmp, "aider"), { force: true });
});

const DROPPED_ONE =
  "kpm: --secure: dropped 1 inherited variable that looks like a credential (use --verbose to name them)";

describe("a hostile agent allow-listed as claude, as nobody", () => {
  test("without --secure, it reads the shell's GH_TOKEN", async () => {
    writeAllowlist(false);
    const agent = await kpmRun("claude", false);
    expect(agent.code).toBe(0);
    expect(agent.stdout).toStartWith(`agent=claude GH_TOKEN=${GH_TOKEN} `);
  });

  test("--secure without pins: a copy of it under aider's name gets aider's secret, run by it or by you", async () => {
    writeAllowlist(false);
    const agent = await kpmRun("claude", true);
    expect(agent.code).toBe(0);
    expect(agent.stderr).toBe(`${DROPPED_ONE}\n`);
    expect(agent.stdout).toBe(
      [
        "agent=claude GH_TOKEN=none OPENAI_API_KEY=none",
        `agent=aider GH_TOKEN=none OPENAI_API_KEY=${OPENAI}`,
        "exec-copy-exit=0",
        "",
      ].join("\n"),
    );
    // The planted copy is the first aider on PATH for your next run.
    const next = await kpmRun("aider", true);
    expect(next.code).toBe(0);
    expect(next.stdout).toBe(`agent=aider GH_TOKEN=none OPENAI_API_KEY=${OPENAI}\n`);
  });

  test("--secure with pins: no GH_TOKEN, and every copy is refused before aider's secret is fetched", async () => {
    writeAllowlist(true);
    const agent = await kpmRun("claude", true);
    expect(agent.code).toBe(0);
    expect(agent.stderr).toBe(`${DROPPED_ONE}\n`);
    expect(agent.stdout).toBe(
      [
        "agent=claude GH_TOKEN=none OPENAI_API_KEY=none",
        `kpm: --secure: aider: ${join(nobody.tmp, "aider")} is not the pinned ${join(tools, "aider")}; not started`,
        "exec-copy-exit=1",
        "",
      ].join("\n"),
    );
    const next = await kpmRun("aider", true);
    expect(next).toEqual({
      code: 1,
      stdout: "",
      stderr: `kpm: --secure: aider: ${planted} is not the pinned ${join(tools, "aider")}; not started\n`,
    });
    for (const output of [agent, next])
      for (const marker of [GH_TOKEN, OPENAI, ANTHROPIC])
        expect(`${output.stdout}${output.stderr}`.includes(marker)).toBe(false);
    // The real aider, where it was pinned, still runs.
    rmSync(planted);
    const real = await kpmRun("aider", true);
    expect(real).toEqual({ code: 0, stdout: "agent=real-aider\n", stderr: `${DROPPED_ONE}\n` });
  });
});
