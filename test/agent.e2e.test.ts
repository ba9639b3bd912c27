// End-to-end proof of the per-user agent (issue 17, docs/agent.md) with the compiled binary against
// a real `kpm dev serve`: the read commands give the same output and exit code with and without it;
// against a vend rate limit, 300 gets and 20 runs cost AgentKMS one session and one vend, while the
// direct path fails the second vend with a hint; a dead, stale or turned-off agent is never needed.
// biome-ignore-all lint/suspicious/noTemplateCurlyInString: templates spell ${kms:…} literally
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import {
  chmodSync,
  existsSync,
  lchownSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  renameSync,
  rmSync,
  utimesSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createClient } from "@kpm/agentkms-client";
import { isPidAlive } from "@kpm/libc";
import {
  createSandbox,
  KPM_BINARY,
  type KpmResult,
  readAuditEvents,
  runKpmProcess,
  type Sandbox,
  seedCredential,
  startDevServerForTest,
  type TestDevServer,
  writeKpmConfig,
} from "./helpers/kpm-env.ts";
import { runToEnd } from "./helpers/run-to-end.ts";

const POLICY = [
  'version: "1"',
  "rules:",
  "  - id: deny-llm",
  "    match: { operations: [credential_vend], key_prefix: llm/google }",
  "    effect: deny",
  "  - id: deny-registry",
  "    match: { operations: [credential_vend], key_prefix: secrets/denied/ }",
  "    effect: deny",
  "  - id: allow-rest",
  "    match: {}",
  "    effect: allow",
  "",
].join("\n");

/** A sandbox whose kpm processes may use (and start) the agent. */
function agentSandbox(server: TestDevServer, extra: Record<string, string | number> = {}): Sandbox {
  const sandbox = createSandbox();
  delete sandbox.env.KPM_NO_AGENT;
  writeKpmConfig(sandbox.home, server, extra);
  return sandbox;
}

function kpm(sandbox: Sandbox, args: string[]): Promise<KpmResult> {
  return runKpmProcess(args, { env: sandbox.env, binary: true });
}

function agentPid(sandbox: Sandbox): number | null {
  const path = join(sandbox.runtimeDir, "agent.pid");
  return existsSync(path) ? Number(readFileSync(path, "utf8").trim()) : null;
}

async function waitFor(condition: () => boolean, ms = 5000): Promise<boolean> {
  const deadline = Date.now() + ms;
  while (!condition()) {
    if (Date.now() > deadline) return false;
    await Bun.sleep(25);
  }
  return true;
}

/**
 * A stand-in agent listening at `path` (as `uid` through setpriv when given) that answers a `get`
 * with PLANTED and a read call with an LLM credential whose key is PLANTED. `asked()` lists the ops
 * it received (from its stdout, read once it is stopped).
 */
async function plantedAgent(
  path: string,
  uid?: number,
): Promise<{ asked: () => string[]; stop: () => Promise<void> }> {
  const script = `Bun.listen({ unix: ${JSON.stringify(path)}, socket: { data(s, d) {
      for (const line of d.toString().split("\\n").filter(Boolean)) {
        const r = JSON.parse(line); console.log("op " + r.op);
        const value = r.op === "get" ? "PLANTED" : { provider: "anthropic", api_key: "PLANTED" };
        s.write(JSON.stringify(r.op === "get" || r.op === "call" ? { id: r.id, value } : { id: r.id, fail: "no" }) + "\\n");
      } } } });
    console.log("ready"); for await (const _ of Bun.stdin.stream()) {} process.exit(0);`;
  const asUser = uid === undefined ? [] : ["setpriv", `--reuid=${uid}`, `--regid=${uid}`, "--clear-groups"];
  const child = Bun.spawn([...asUser, process.execPath, "-e", script], {
    stdin: "pipe",
    stdout: "pipe",
    stderr: "inherit",
  });
  const lines: string[] = [];
  const decoder = new TextDecoder();
  const reader = child.stdout.getReader();
  let buffered = "";
  const pump = (async () => {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) return;
      buffered += decoder.decode(value, { stream: true });
      for (let at = buffered.indexOf("\n"); at !== -1; at = buffered.indexOf("\n")) {
        lines.push(buffered.slice(0, at));
        buffered = buffered.slice(at + 1);
      }
    }
  })();
  await waitFor(() => lines.includes("ready"));
  return {
    asked: () => lines.filter((line) => line.startsWith("op ")).map((line) => line.slice(3)),
    stop: async () => {
      child.stdin.end();
      await child.exited;
      await pump;
    },
  };
}

async function closeAgentSandbox(sandbox: Sandbox | undefined): Promise<void> {
  if (!sandbox) return;
  await kpm(sandbox, ["agent", "stop"]);
  const pid = agentPid(sandbox);
  if (pid !== null) await waitFor(() => !isPidAlive(pid), 3000);
  sandbox.cleanup();
}

describe("the same cases with and without the agent", () => {
  let server: TestDevServer;
  let direct: Sandbox;
  let viaAgent: Sandbox;

  const CASES: string[][] = [
    ["get", "llm/anthropic"],
    ["get", "kv/db/prod#password"],
    ["get", "kv/db/prod"],
    ["get", "kv/db/prod#missing:-fallback"],
    ["get", "kv/db/prod#missing"],
    ["get", "kv/nowhere#x"],
    ["get", "llm/google"],
    ["get", "svc/plain"],
    ["get", "svc/multi"],
    ["get", "denied/thing"],
    ["get", "svc/none"],
    ["list"],
    ["list", "--json"],
    ["list", "svc", "--tag", "none"],
    ["describe", "svc/plain", "--json"],
    ["describe", "svc/none"],
    ["history", "svc/plain", "--json"],
    ["run", "--from", "app.template", "--", "sh", "-c", 'printf "%s|%s" "${#SECRET}" "$PLAIN"'],
    ["run", "--from", "denied.template", "--", "true"],
    ["env", "--plaintext", "--from", "app.template", "--output", "json"],
  ];

  beforeAll(async () => {
    server = await startDevServerForTest({ policy: POLICY });
    await seedCredential(server.dir, "llm/anthropic", { api_key: "sk-ant-agent-0123456789" });
    await seedCredential(server.dir, "llm/google", { api_key: "never" });
    await seedCredential(server.dir, "generic/db/prod", { user: "app", password: "pg-agent-secret" });
    const client = createClient({ server: server.addr, ...server.clientFiles });
    try {
      await client.writeSecret("svc/plain", { value: "plain-value" });
      await client.writeSecret("svc/multi", { user: "admin", pass: "multi-pass" });
      await client.writeSecret("denied/thing", { value: "never" });
    } finally {
      client.close();
    }
    direct = createSandbox();
    writeKpmConfig(direct.home, server);
    viaAgent = agentSandbox(server);
    for (const sandbox of [direct, viaAgent]) {
      writeFileSync(join(sandbox.home, "app.template"), "SECRET=${kms:llm/anthropic}\nPLAIN=p-1\n");
      writeFileSync(join(sandbox.home, "denied.template"), "X=${kms:llm/google}\n");
    }
  });

  afterAll(async () => {
    await closeAgentSandbox(viaAgent);
    direct?.cleanup();
    await server?.remove();
  });

  test("every case prints the same and exits the same, first and second time (cached)", async () => {
    for (const args of CASES) {
      const expected = await kpm(direct, args);
      for (const round of [1, 2]) {
        const actual = await kpm(viaAgent, args);
        expect({ args, round, ...actual }).toEqual({ args, round, ...expected });
      }
    }
    // The agent served them (the cases did not silently take the direct path).
    const status = JSON.parse((await kpm(viaAgent, ["agent", "status", "--json"])).stdout);
    expect(status.running).toBe(true);
    expect(status.requests).toBeGreaterThanOrEqual(CASES.length * 2 - 2);
    expect(status.servers).toEqual([
      {
        server: server.addr,
        token_expires_at: expect.stringMatching(/^\d{4}-.*Z$/),
        requests: status.requests,
      },
    ]);
  });

  test("kpm agent status, flush and stop", async () => {
    const status = await kpm(viaAgent, ["agent", "status"]);
    expect(status.code).toBe(0);
    expect(status.stdout).toMatch(
      new RegExp(
        `^Agent pid \\d+, up \\d+[sm].*\\n  Requests served: \\d+\\n  Cached values:   \\d+ \\(each kept at most 600s\\)\\n  Idle exit after: 900s\\n  Server ${server.addr.replaceAll(".", "\\.")}: token expires \\S+Z, \\d+ requests\\n$`,
      ),
    );
    expect(await kpm(viaAgent, ["agent", "flush"])).toEqual({
      code: 0,
      stdout: "",
      stderr: "✓ Agent cache emptied\n",
    });
    expect(JSON.parse((await kpm(viaAgent, ["agent", "status", "--json"])).stdout).cache_entries).toBe(0);
    const pid = agentPid(viaAgent);
    expect(await kpm(viaAgent, ["agent", "stop"])).toEqual({
      code: 0,
      stdout: "",
      stderr: "✓ Agent stopped\n",
    });
    expect(await waitFor(() => pid !== null && !isPidAlive(pid))).toBe(true);
    expect(existsSync(join(viaAgent.runtimeDir, "agent.sock"))).toBe(false);
    expect(await kpm(viaAgent, ["agent", "status"])).toEqual({
      code: 1,
      stdout: "No agent running (kpm agent start, or any kpm get starts one)\n",
      stderr: "",
    });
    expect(await kpm(viaAgent, ["agent", "stop"])).toEqual({
      code: 0,
      stdout: "",
      stderr: "No agent running\n",
    });
    const started = await kpm(viaAgent, ["agent", "start"]);
    expect(started).toMatchObject({
      code: 0,
      stdout: "",
      stderr: expect.stringMatching(/^✓ Agent started \(pid \d+\)\n$/),
    });
    expect((await kpm(viaAgent, ["agent", "start"])).stderr).toMatch(
      /^✓ Agent already running \(pid \d+\)\n$/,
    );
  });
});

describe("against a vend rate limit (60 s)", () => {
  let server: TestDevServer;
  let viaAgent: Sandbox;
  let direct: Sandbox;
  const VALUE = "sk-ant-rate-limited-0123456789";

  beforeAll(async () => {
    server = await startDevServerForTest({ rateLimit: 60 });
    await seedCredential(server.dir, "llm/anthropic", { api_key: VALUE });
    await seedCredential(server.dir, "llm/openai", { api_key: "sk-openai-0123456789" });
    await seedCredential(server.dir, "llm/mistral", { api_key: "sk-mistral-0123456789" });
    viaAgent = agentSandbox(server);
    writeFileSync(join(viaAgent.home, "app.template"), "KEY=${kms:llm/anthropic}\n");
    direct = createSandbox();
    writeKpmConfig(direct.home, server);
  });

  afterAll(async () => {
    await closeAgentSandbox(viaAgent);
    direct?.cleanup();
    await server?.remove();
  });

  test("300 gets and 20 runs with the agent warm all succeed: one session, one vend", async () => {
    for (let index = 0; index < 300; index++) {
      const result = await kpm(viaAgent, ["get", "llm/anthropic"]);
      if (result.code !== 0 || result.stdout !== VALUE)
        expect({ index, ...result }).toEqual({ index, code: 0, stdout: VALUE, stderr: "" });
    }
    for (let index = 0; index < 20; index++) {
      const result = await kpm(viaAgent, [
        "run",
        "--from",
        "app.template",
        "--",
        "sh",
        "-c",
        'printf %s "${#KEY}"',
      ]);
      if (result.code !== 0 || result.stdout !== String(VALUE.length))
        expect({ index, ...result }).toEqual({ index, code: 0, stdout: String(VALUE.length), stderr: "" });
    }
    const events = readAuditEvents(server);
    expect(events.filter((event) => event.operation === "auth")).toHaveLength(1);
    expect(events.filter((event) => event.operation === "credential_vend")).toHaveLength(1);
  }, 90_000);

  test("without the agent a second kpm run inside the window fails, saying why and what to do", async () => {
    writeFileSync(join(direct.home, "mistral.template"), "KEY=${kms:llm/mistral}\n");
    const run = () => kpm(direct, ["run", "--from", "mistral.template", "--", "true"]);
    expect(await run()).toEqual({ code: 0, stdout: "", stderr: "" });
    expect(await run()).toEqual({
      code: 1,
      stdout: "",
      stderr:
        "kpm: cannot resolve KEY: fetch LLM mistral: credential recently vended — retry after TTL expires (rate_limited)\n" +
        "tip: AgentKMS vends each credential once per rate-limit window; the kpm agent keeps it between commands (kpm agent start, docs/agent.md)\n" +
        "kpm run: 1 reference could not be resolved; the command was not started\n" +
        "  to run it with those variables unset, add --allow-missing\n",
    });
  });

  test("without the agent the second vend inside the window fails, saying why and what to do", async () => {
    expect(await kpm(direct, ["get", "llm/openai"])).toEqual({
      code: 0,
      stdout: "sk-openai-0123456789",
      stderr: "",
    });
    expect(await kpm(direct, ["get", "llm/openai"])).toEqual({
      code: 1,
      stdout: "",
      stderr:
        "error: fetch LLM openai: credential recently vended — retry after TTL expires (rate_limited)\n" +
        "tip: AgentKMS vends each credential once per rate-limit window; the kpm agent keeps it between commands (kpm agent start, docs/agent.md)\n",
    });
  });
});

describe("the agent is never required", () => {
  let server: TestDevServer;
  let sandbox: Sandbox;

  beforeAll(async () => {
    server = await startDevServerForTest();
    await seedCredential(server.dir, "llm/anthropic", { api_key: "sk-ant-fallback-0123" });
    sandbox = agentSandbox(server);
  });

  afterAll(async () => {
    await closeAgentSandbox(sandbox);
    await server?.remove();
  });

  const get = () => kpm(sandbox, ["get", "llm/anthropic"]);
  const ok = { code: 0, stdout: "sk-ant-fallback-0123", stderr: "" };

  test("a killed agent (its socket left behind) is replaced by the next command", async () => {
    expect(await get()).toEqual(ok);
    const pid = agentPid(sandbox);
    expect(pid).not.toBeNull();
    process.kill(pid as number, "SIGKILL");
    expect(await waitFor(() => !isPidAlive(pid as number))).toBe(true);
    expect(existsSync(join(sandbox.runtimeDir, "agent.sock"))).toBe(true);
    expect(await get()).toEqual(ok);
    const next = agentPid(sandbox);
    expect(next).not.toBe(pid);
    expect(isPidAlive(next as number)).toBe(true);
  });

  // The attack: a process of another user listening at the agent's path, its socket file made to
  // pass the lstat checks (owned by this user, in the private runtime directory). Root only: it
  // starts that process as nobody, then moves and chowns its socket into place.
  test.if(process.getuid?.() === 0)(
    "a stand-in agent run as nobody is never asked, even when its socket passes the lstat checks",
    async () => {
      await kpm(sandbox, ["agent", "stop"]);
      await waitFor(() => !existsSync(join(sandbox.runtimeDir, "agent.sock")));
      writeFileSync(join(sandbox.home, "planted.template"), "KEY=${kms:llm/anthropic}\n");
      const run = () =>
        kpm(sandbox, [
          "run",
          "--no-masking",
          "--from",
          join(sandbox.home, "planted.template"),
          "--",
          "printenv",
          "KEY",
        ]);
      mkdirSync(sandbox.runtimeDir, { recursive: true, mode: 0o700 });
      const socket = join(sandbox.runtimeDir, "agent.sock");
      const shared = mkdtempSync(join(tmpdir(), "kpm-planted-"));
      chmodSync(shared, 0o777);
      const foreign = await plantedAgent(join(shared, "agent.sock"), 65534);
      try {
        renameSync(join(shared, "agent.sock"), socket);
        lchownSync(socket, 0, 0);
        expect(await get()).toEqual(ok);
        expect(await run()).toEqual({ code: 0, stdout: "sk-ant-fallback-0123\n", stderr: "" });
        // A status request (nothing secret) may reach it when kpm looks for an agent to start; no read does.
        expect(foreign.asked().filter((op) => op === "get" || op === "call")).toEqual([]);
      } finally {
        await foreign.stop();
        rmSync(socket, { force: true });
        rmSync(shared, { recursive: true, force: true });
      }
      // The same stand-in run as this user is asked and believed: the peer's uid is what refused it.
      const own = await plantedAgent(socket);
      try {
        expect((await get()).stdout).toBe("PLANTED");
        expect(own.asked()).toContain("get");
      } finally {
        await own.stop();
        rmSync(socket, { force: true });
      }
    },
  );

  test("an agent whose config file changed answers no more and exits; the command still succeeds", async () => {
    expect(await get()).toEqual(ok);
    const pid = agentPid(sandbox) as number;
    const config = join(sandbox.home, ".config/kpm/config.yaml");
    const later = new Date(Date.now() + 5000);
    utimesSync(config, later, later);
    expect(await get()).toEqual(ok);
    expect(await waitFor(() => !isPidAlive(pid))).toBe(true);
  });

  test("--strict never uses the agent's cache: every run is its own vend", async () => {
    writeFileSync(join(sandbox.home, "strict.template"), "KEY=${kms:llm/anthropic}\n");
    expect(await get()).toEqual(ok);
    const vends = () =>
      readAuditEvents(server).filter(
        (event) => event.operation === "credential_vend" && event.key_id === "llm/anthropic",
      ).length;
    const before = vends();
    for (let index = 0; index < 2; index++) {
      const result = await kpm(sandbox, ["run", "--strict", "--from", "strict.template", "--", "true"]);
      expect(result.code).toBe(0);
    }
    expect(vends()).toBe(before + 2);
    // The same runs without --strict come from the cache.
    await kpm(sandbox, ["run", "--from", "strict.template", "--", "true"]);
    await kpm(sandbox, ["run", "--from", "strict.template", "--", "true"]);
    expect(vends()).toBe(before + 2);
  });

  test("a write through kpm empties the cache: the next get sees the new value", async () => {
    const add = (value: string) =>
      runKpmProcess(["add", "svc/rotated", "--force"], { env: sandbox.env, binary: true, input: value });
    expect((await add("first-value-123")).code).toBe(0);
    expect(await kpm(sandbox, ["get", "svc/rotated"])).toEqual({
      code: 0,
      stdout: "first-value-123",
      stderr: "",
    });
    expect((await add("second-value-456")).code).toBe(0);
    expect(await kpm(sandbox, ["get", "svc/rotated"])).toEqual({
      code: 0,
      stdout: "second-value-456",
      stderr: "",
    });
  });

  test("a confined peer (no_new_privs, as under kpm run --secure) is refused; from a confined agent it is served", async () => {
    const confined = (args: string[]) =>
      runToEnd(["setpriv", "--no-new-privs", KPM_BINARY, ...args], { env: sandbox.env, cwd: sandbox.home });
    expect(await get()).toEqual(ok);
    expect(await confined(["agent", "status"])).toMatchObject({
      code: 1,
      stdout: expect.stringMatching(/^No agent running/),
    });
    // It is not stuck either: it takes the direct path.
    expect(await confined(["get", "llm/anthropic"])).toEqual(ok);
    // The check switched off: an agent that itself runs with no_new_privs serves such peers.
    await kpm(sandbox, ["agent", "stop"]);
    await waitFor(() => !existsSync(join(sandbox.runtimeDir, "agent.sock")));
    expect((await confined(["agent", "start"])).code).toBe(0);
    expect(await confined(["agent", "status"])).toMatchObject({
      code: 0,
      stdout: expect.stringMatching(/^Agent pid/),
    });
  });

  test("KPM_NO_AGENT=1 and agent: false start no agent", async () => {
    await kpm(sandbox, ["agent", "stop"]);
    await waitFor(() => !existsSync(join(sandbox.runtimeDir, "agent.sock")));
    const off = await runKpmProcess(["get", "llm/anthropic"], {
      env: { ...sandbox.env, KPM_NO_AGENT: "1" },
      binary: true,
    });
    expect(off).toEqual(ok);
    expect(existsSync(join(sandbox.runtimeDir, "agent.sock"))).toBe(false);
    writeKpmConfig(sandbox.home, server, { agent: "false" });
    expect(await get()).toEqual(ok);
    expect(existsSync(join(sandbox.runtimeDir, "agent.sock"))).toBe(false);
    expect(await kpm(sandbox, ["agent", "start"])).toEqual({
      code: 1,
      stdout: "",
      stderr: `error: the agent is turned off (agent: false in ${join(sandbox.home, ".config/kpm/config.yaml")})\nsee: docs/agent.md\n`,
    });
  });
});
