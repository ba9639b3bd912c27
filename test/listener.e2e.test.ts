// End-to-end proof of the decrypt listener as seen through kpm (spec §7.4–7.6, §8.1 --unload,
// §8.3 decrypt, §8.4 show): real `kpm env` sessions, real listener processes, real sockets.
// biome-ignore-all lint/suspicious/noTemplateCurlyInString: templates spell ${kms:…} references literally
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import {
  createSandbox,
  type Fixture,
  type KpmResult,
  parseShellExports,
  runKpmProcess,
  type Sandbox,
  startFixture,
  writeKpmConfig,
} from "./helpers/kpm-env.ts";

const ANTHROPIC = "sk-listener-marker-5e1f0a";
const DB_PASSWORD = "pw-listener-marker-77aa";

let fixture: Fixture;
let sandbox: Sandbox;

beforeAll(async () => {
  fixture = await startFixture({
    "llm/anthropic": { api_key: ANTHROPIC },
    "generic/db/prod": { password: DB_PASSWORD },
  });
  sandbox = fixture.sandbox;
  writeFileSync(
    join(sandbox.home, "app.template"),
    "ANTHROPIC_API_KEY=${kms:llm/anthropic}\nDB_PASSWORD=${kms:kv/db/prod#password}\nAPP=plain\n",
  );
});

afterAll(async () => {
  await fixture?.close();
});

function kpm(
  args: string[],
  extraEnv: Record<string, string | undefined> = {},
  home = sandbox,
): Promise<KpmResult> {
  return runKpmProcess(args, { env: { ...home.env, ...extraEnv }, cwd: home.home });
}

/**
 * A fresh session: the variables an `eval "$(kpm env --output shell)"` would set, in a shell of
 * its own (a reload in the same shell would replace the previous session, docs/sessions.md).
 */
async function newSession(home = sandbox): Promise<Record<string, string>> {
  const shellPid = String(home.standInShell());
  const result = await kpm(
    ["env", "--from", "app.template", "--output", "shell", "--shell-pid", shellPid],
    {},
    home,
  );
  expect(result.code).toBe(0);
  return parseShellExports(result.stdout);
}

function recordPid(home: Sandbox, sessionId: string): number {
  const record = JSON.parse(readFileSync(join(home.runtimeDir, `${sessionId}.json`), "utf8")) as {
    pid: number;
  };
  return record.pid;
}

/** Running, as opposed to gone or a zombie waiting for init to reap it (listeners are reparented). */
function isAlive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    return stat.slice(stat.lastIndexOf(")") + 2, stat.lastIndexOf(")") + 3) !== "Z";
  } catch {
    return false;
  }
}

/** Waits (bounded) for a process to exit; the assertion is on the outcome, not on the time. */
async function waitForExit(pid: number, limitMs = 15_000): Promise<boolean> {
  const deadline = Date.now() + limitMs;
  while (isAlive(pid)) {
    if (Date.now() > deadline) return false;
    await Bun.sleep(25);
  }
  return true;
}

describe("kpm decrypt through the listener", () => {
  test("--env VAR prints the plaintext with no newline", async () => {
    const session = await newSession();
    expect(await kpm(["decrypt", "--env", "ANTHROPIC_API_KEY"], session)).toEqual({
      code: 0,
      stdout: ANTHROPIC,
      stderr: "",
    });
  });

  test("a positional blob is decrypted too", async () => {
    const session = await newSession();
    const blob = session.DB_PASSWORD ?? "";
    expect(await kpm(["decrypt", blob], session)).toEqual({ code: 0, stdout: DB_PASSWORD, stderr: "" });
  });

  test("a blob of a second session is found through <RuntimeDir>/<sid>.sock (§7.6 rule 2)", async () => {
    const first = await newSession();
    const second = await newSession();
    const result = await kpm(["decrypt", second.ANTHROPIC_API_KEY ?? ""], first);
    expect(result).toEqual({ code: 0, stdout: ANTHROPIC, stderr: "" });
  });

  test("a blob from another session sent to this session's socket → session ID mismatch", async () => {
    const first = await newSession();
    const second = await newSession();
    // KPM_SESSION unset: KPM_DECRYPT_SOCK is used for any sid (§7.6 rule 1).
    const result = await kpm(["decrypt", second.ANTHROPIC_API_KEY ?? ""], {
      ...first,
      KPM_SESSION: undefined,
    });
    expect(result).toEqual({ code: 1, stdout: "", stderr: "decrypt error: session ID mismatch\n" });
  });

  test("junk base64 and a truncated blob get the listener's messages; nothing is echoed", async () => {
    const session = await newSession();
    const sessionId = session.KPM_SESSION;
    const junk = await kpm(["decrypt", `ENC[kpm:${sessionId}:!!not*base64!!]`], session);
    expect(junk).toEqual({ code: 1, stdout: "", stderr: "decrypt error: invalid ciphertext format\n" });
    const truncated = await kpm(["decrypt", `ENC[kpm:${sessionId}:AAAAAAAA]`], session);
    expect(truncated).toEqual({ code: 1, stdout: "", stderr: "decrypt error: decrypt failed\n" });
    // A tampered tag fails GCM authentication.
    const blob = session.ANTHROPIC_API_KEY ?? "";
    const tampered = `${blob.slice(0, -6)}${blob.at(-6) === "A" ? "B" : "A"}${blob.slice(-5)}`;
    const bad = await kpm(["decrypt", tampered], session);
    expect(bad).toEqual({ code: 1, stdout: "", stderr: "decrypt error: decrypt failed\n" });
  });

  test("missing inputs give the exact usage errors", async () => {
    expect(await kpm(["decrypt"])).toEqual({
      code: 2,
      stdout: "",
      stderr:
        "kpm decrypt: provide a ciphertext blob or --env VAR_NAME\nRun 'kpm decrypt --help' for usage.\n",
    });
    expect(await kpm(["decrypt", "--env", "NOPE"], { NOPE: "" })).toEqual({
      code: 1,
      stdout: "",
      stderr: "kpm decrypt: environment variable NOPE is not set\n",
    });
    expect(await kpm(["decrypt", "ENC[kpm:s12345678:AAAA]"])).toEqual({
      code: 1,
      stdout: "",
      stderr: "error: KPM_DECRYPT_SOCK not set (not running under kpm run?)\n",
    });
  });

  test("a stale KPM_DECRYPT_SOCK of a dead session fails to connect, exit 1, nothing on stdout", async () => {
    const session = await newSession();
    const pid = recordPid(sandbox, session.KPM_SESSION ?? "");
    process.kill(pid, "SIGTERM");
    expect(await waitForExit(pid)).toBe(true);
    expect(existsSync(session.KPM_DECRYPT_SOCK ?? "")).toBe(false);
    const result = await kpm(["decrypt", "--env", "ANTHROPIC_API_KEY"], session);
    expect(result.code).toBe(1);
    expect(result.stdout).toBe("");
    expect(result.stderr).toStartWith("error connecting to decrypt socket: ");
    expect(result.stderr).toContain(session.KPM_DECRYPT_SOCK ?? "");
  });
});

describe("session TTL", () => {
  test("with session_key_ttl: 2 the listener exits, removes socket and record, and run unsets the variables", async () => {
    const short = createSandbox();
    try {
      writeKpmConfig(short.home, fixture.server, { session_key_ttl: 2 });
      writeFileSync(join(short.home, "app.template"), "ANTHROPIC_API_KEY=${kms:llm/anthropic}\nAPP=plain\n");
      const envResult = await kpm(["env", "--from", "app.template", "--output", "shell"], {}, short);
      expect(envResult.stderr).toContain("TTL: 2s)");
      const session = parseShellExports(envResult.stdout);
      const sessionId = session.KPM_SESSION ?? "";
      const pid = recordPid(short, sessionId);
      expect(await waitForExit(pid)).toBe(true);
      expect(existsSync(join(short.runtimeDir, `${sessionId}.sock`))).toBe(false);
      expect(existsSync(join(short.runtimeDir, `${sessionId}.json`))).toBe(false);

      const run = await kpm(
        [
          "run",
          "--",
          "sh",
          "-c",
          'echo child-ran; echo "APP=$APP"; printenv ANTHROPIC_API_KEY || echo unset',
        ],
        session,
        short,
      );
      expect(run.code).toBe(0);
      expect(run.stdout).toBe("child-ran\nAPP=plain\nunset\n");
      expect(run.stderr).toBe(
        // The hint names the template this shell loaded (KPM_TEMPLATE), not the default one.
        `kpm: unset ANTHROPIC_API_KEY: no decrypt listener for session ${sessionId} (expired or not running); reload with: eval "$(kpm env --from ${join(short.home, "app.template")} --output shell)"\n`,
      );
      const show = await kpm(["show"], session, short);
      expect(show.stdout.split("\n")[0]).toBe(`KPM Session: ${sessionId} (listener not running)`);
    } finally {
      short.cleanup();
    }
  });
});

describe("kpm env --unload", () => {
  test("--output shell stops every session listener in the environment and prints unset lines", async () => {
    const first = await newSession();
    const second = await newSession();
    const firstPid = recordPid(sandbox, first.KPM_SESSION ?? "");
    const secondPid = recordPid(sandbox, second.KPM_SESSION ?? "");
    // The shell holds the first session's variables plus one blob of the second session.
    const shellEnv = { ...first, OTHER_KEY: second.DB_PASSWORD, KPM_LOADED: "1" };
    const result = await kpm(["env", "--unload", "--output", "shell"], shellEnv);
    expect(result).toEqual({
      code: 0,
      stdout: [
        "unset ANTHROPIC_API_KEY",
        "unset DB_PASSWORD",
        "unset OTHER_KEY",
        "unset KPM_SESSION KPM_DECRYPT_SOCK KPM_TEMPLATE KPM_LOADED",
        "",
      ].join("\n"),
      stderr: "✓ Stopped 2 session listeners\n",
    });
    // The socket is removed before the process finishes exiting.
    expect(await waitForExit(firstPid)).toBe(true);
    expect(await waitForExit(secondPid)).toBe(true);
    expect(existsSync(first.KPM_DECRYPT_SOCK ?? "")).toBe(false);
    expect(existsSync(second.KPM_DECRYPT_SOCK ?? "")).toBe(false);

    // Evaluating the output in a shell really removes the variables.
    const probe = Bun.spawn(["sh", "-c", `eval "$UNLOAD"; env`], {
      env: { ...shellEnv, PATH: sandbox.env.PATH, UNLOAD: result.stdout },
      stdout: "pipe",
    });
    const remaining = await new Response(probe.stdout).text();
    expect(remaining).not.toContain("ENC[");
    expect(remaining).not.toContain("KPM_SESSION=");
    expect(remaining).not.toContain("KPM_DECRYPT_SOCK=");
    expect(remaining).not.toContain("KPM_TEMPLATE=");
    expect(remaining).not.toContain("KPM_LOADED=");
  });

  test("with SHELL=fish the lines are set -e; with no session it stops nothing", async () => {
    const session = await newSession();
    const result = await kpm(["env", "--unload", "--output", "shell"], {
      ...session,
      SHELL: "/usr/bin/fish",
    });
    expect(result.stdout).toBe(
      "set -e ANTHROPIC_API_KEY\nset -e DB_PASSWORD\nset -e KPM_SESSION\nset -e KPM_DECRYPT_SOCK\nset -e KPM_TEMPLATE\nset -e KPM_LOADED\n",
    );
    expect(result.stderr).toBe("✓ Stopped 1 session listener\n");
    const again = await kpm(["env", "--unload", "--output", "shell"], session);
    expect(again.stderr).toBe("✓ Stopped 0 session listeners\n");
  });
});

describe("kpm show", () => {
  test("list mode: session with TTL, padded names, count; never a value", async () => {
    const session = await newSession();
    const result = await kpm(["show"], session);
    expect(result.code).toBe(0);
    const lines = result.stdout.split("\n");
    expect(lines[0]).toMatch(
      new RegExp(`^KPM Session: ${session.KPM_SESSION} \\(TTL: (59m[0-5]\\d|60m00)s remaining\\)$`),
    );
    expect(lines.slice(1)).toEqual([
      "",
      `  ${"ANTHROPIC_API_KEY".padEnd(25)} ● encrypted`,
      `  ${"DB_PASSWORD".padEnd(25)} ● encrypted`,
      "",
      "2 secrets managed",
      "",
    ]);
    expect(result.stdout).not.toContain(ANTHROPIC);
  });

  test("single mode shows the session, TTL and a 40-character preview of the blob", async () => {
    const session = await newSession();
    const blob = session.ANTHROPIC_API_KEY ?? "";
    const result = await kpm(["show", "ANTHROPIC_API_KEY"], session);
    const lines = result.stdout.split("\n");
    expect(lines[0]).toBe(`  ${"ANTHROPIC_API_KEY".padEnd(25)} ● encrypted`);
    expect(lines[1]).toBe(`  Session: ${session.KPM_SESSION}`);
    expect(lines[2]).toMatch(/^ {2}TTL: (59m[0-5]\d|60m00)s remaining$/);
    expect(lines[3]).toBe(`  Value: ${blob.slice(0, 40)}... (use 'kpm run' to decrypt)`);
    expect(lines).toHaveLength(5);
    const notManaged = await kpm(["show", "APP"], { ...session, APP: "plain" });
    expect(notManaged.stdout).toBe("APP is not a KPM-managed secret in the current environment.\n");
  });

  test("json mode lists variables with kind and session and the listener state", async () => {
    const session = await newSession();
    const result = await kpm(["show", "--json"], session);
    const parsed = JSON.parse(result.stdout) as {
      session: string;
      strict: boolean;
      ttl_seconds: number;
      listener: string;
      variables: Array<{ name: string; kind: string; session: string }>;
    };
    expect(parsed.session).toBe(session.KPM_SESSION ?? "");
    expect(parsed.strict).toBe(false);
    expect(parsed.listener).toBe("running");
    expect(parsed.ttl_seconds).toBeGreaterThan(3500);
    expect(parsed.ttl_seconds).toBeLessThanOrEqual(3600);
    expect(parsed.variables).toEqual([
      { name: "ANTHROPIC_API_KEY", kind: "encrypted", session: session.KPM_SESSION ?? "" },
      { name: "DB_PASSWORD", kind: "encrypted", session: session.KPM_SESSION ?? "" },
    ]);
    expect(result.stdout).not.toContain("ENC[");
  });

  test("nothing managed: the two hint lines, exit 0", async () => {
    expect(await kpm(["show"])).toEqual({
      code: 0,
      stdout:
        "No KPM-managed secrets found in current environment.\nLoad secrets with: eval $(kpm env --from <template> --output shell)\n",
      stderr: "",
    });
  });

  test("--profile appends the profile block in either position", async () => {
    const session = await newSession();
    const none = await kpm(["show", "--profile"], session);
    expect(none.stdout.endsWith("\n\nProfile: (no .kpm/config.yaml found in cwd or ancestors)\n")).toBe(true);

    const project = join(sandbox.home, "proj");
    mkdirSync(join(project, ".kpm"), { recursive: true });
    writeFileSync(join(project, ".kpm/config.yaml"), "profile:\n  env: staging\n  region: eu-1\n");
    // A project's profile is used once trusted (docs/trust.md).
    expect((await runKpmProcess(["trust"], { env: sandbox.env, cwd: project })).code).toBe(0);
    const withProfile = await runKpmProcess(["show", "ANTHROPIC_API_KEY", "--profile"], {
      env: { ...sandbox.env, ...session },
      cwd: project,
    });
    const lines = withProfile.stdout.split("\n");
    const at = lines.indexOf("Profile:");
    expect(at).toBeGreaterThan(0);
    expect(lines[at - 1]).toBe("");
    const block = lines.slice(at + 1, -1);
    expect(block.length).toBeGreaterThan(0);
    for (const line of block) expect(line.startsWith("  ")).toBe(true);
    expect(block.join("\n")).toContain("env");
    expect(block.join("\n")).toContain("staging");
    expect(block.join("\n")).toContain("eu-1");
  });
});
