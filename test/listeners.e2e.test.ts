// Listeners do not pile up (docs/sessions.md), proven the way a user meets kpm: the compiled
// dist/kpm on PATH, real shells evaluating its output, real listener processes and sockets.
// A listener exits with the shell that loaded it; a reload in that shell replaces it; dotenv/json
// to a file or pipe starts none unless asked; --unload output evaluates to unsets; the reload
// hint names the template that was loaded.
// biome-ignore-all lint/suspicious/noTemplateCurlyInString: templates and scripts spell ${…} literally
import { afterAll, afterEach, beforeAll, describe, expect, test } from "bun:test";
import { existsSync, mkdirSync, readdirSync, readFileSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { type Fixture, KPM_BINARY, type Sandbox, startFixture, stopListeners } from "./helpers/kpm-env.ts";
import { ensureCompiledBinary } from "./helpers/run-kpm.ts";

const API_KEY = "sk-pileup-marker-4c1d9e";

let fixture: Fixture;
let sandbox: Sandbox;
let template: string;
let shellEnv: Record<string, string>;
const shells: Bun.Subprocess[] = [];

beforeAll(async () => {
  ensureCompiledBinary();
  fixture = await startFixture({ "llm/anthropic": { api_key: API_KEY } });
  sandbox = fixture.sandbox;
  template = join(sandbox.home, "app.template");
  writeFileSync(template, "API_KEY=${kms:llm/anthropic}\nAPP=plain\n");
  const bin = join(sandbox.root, "bin");
  mkdirSync(bin);
  symlinkSync(KPM_BINARY, join(bin, "kpm"));
  shellEnv = {
    ...sandbox.env,
    PATH: `${bin}:${sandbox.env.PATH}`,
    SHELL: "/bin/bash",
    T: template,
    RT: sandbox.runtimeDir,
  };
});

afterEach(async () => {
  for (const shell of shells.splice(0)) {
    shell.kill("SIGKILL");
    await shell.exited;
  }
  stopListeners(sandbox.runtimeDir);
  await waitUntil(() => sockets().length === 0);
});

afterAll(async () => {
  await fixture?.close();
});

interface ShellResult {
  code: number;
  stdout: string;
  stderr: string;
}

function spawnShell(
  shell: string,
  script: string,
  extraEnv: Record<string, string> = {},
): Bun.Subprocess<"ignore", "pipe", "pipe"> {
  const child = Bun.spawn([shell, "-c", script], {
    env: { ...shellEnv, ...extraEnv },
    cwd: sandbox.home,
    stdin: "ignore",
    stdout: "pipe",
    stderr: "pipe",
  });
  shells.push(child);
  return child;
}

async function runShell(
  shell: string,
  script: string,
  extraEnv: Record<string, string> = {},
): Promise<ShellResult> {
  const child = spawnShell(shell, script, extraEnv);
  const [stdout, stderr, code] = await Promise.all([
    new Response(child.stdout).text(),
    new Response(child.stderr).text(),
    child.exited,
  ]);
  return { code, stdout, stderr };
}

function sockets(): string[] {
  return existsSync(sandbox.runtimeDir)
    ? readdirSync(sandbox.runtimeDir).filter((name) => name.endsWith(".sock"))
    : [];
}

function recordPid(sessionId: string): number {
  return (JSON.parse(readFileSync(join(sandbox.runtimeDir, `${sessionId}.json`), "utf8")) as { pid: number })
    .pid;
}

/** Running, as opposed to gone or a zombie (listeners are reparented to init). */
function isRunning(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    return stat[stat.lastIndexOf(")") + 2] !== "Z";
  } catch {
    return false;
  }
}

async function waitUntil(condition: () => boolean, limitMs = 5000): Promise<boolean> {
  const deadline = Date.now() + limitMs;
  while (!condition()) {
    if (Date.now() > deadline) return false;
    await Bun.sleep(25);
  }
  return true;
}

const available = (shell: string) => Bun.which(shell) !== null;

describe("a listener exits with the shell that loaded it", () => {
  // The shell-init form (a redirect inside $(…)) makes bash keep a subshell as kpm's parent.
  const forms = [
    { shell: "bash", load: 'eval "$(kpm env --from "$T" --output shell 2>/dev/null)"' },
    { shell: "bash", load: 'eval "$(kpm env --from "$T" --output shell)"' },
    { shell: "sh", load: 'eval "$(kpm env --from "$T" --output shell)"' },
    { shell: "zsh", load: 'eval "$(kpm env --from "$T" --output shell 2>/dev/null)"' },
    { shell: "fish", load: 'kpm env --from "$T" --output shell 2>/dev/null | source' },
  ];
  for (const [index, { shell, load }] of forms.entries()) {
    test.if(available(shell))(`${shell}: ${load}`, async () => {
      const marker = join(sandbox.root, `loaded-${index}`);
      // Sleeping past the listener's 1 s owner check, then decrypting, proves the listener
      // watches the shell, not the subshell that ran kpm.
      const child = spawnShell(
        shell,
        `${load}; echo "$KPM_SESSION" > ${marker}; sleep 1.5; kpm decrypt --env API_KEY`,
      );
      expect(await waitUntil(() => existsSync(marker) && readFileSync(marker, "utf8").endsWith("\n"))).toBe(
        true,
      );
      const sessionId = readFileSync(marker, "utf8").trim();
      const listener = recordPid(sessionId);
      expect(isRunning(listener)).toBe(true);
      const [stdout, code] = await Promise.all([new Response(child.stdout).text(), child.exited]);
      expect({ code, stdout }).toEqual({ code: 0, stdout: API_KEY });

      // Gone within a bounded time after the shell: process, socket and record.
      expect(await waitUntil(() => !isRunning(listener), 4000)).toBe(true);
      expect(existsSync(join(sandbox.runtimeDir, `${sessionId}.sock`))).toBe(false);
      expect(existsSync(join(sandbox.runtimeDir, `${sessionId}.json`))).toBe(false);
    });
  }
});

describe("loading again in the same shell replaces that shell's listener", () => {
  const reload = (flag: string) =>
    [
      `eval "$(kpm env --from "$T" --output shell ${flag})"`,
      "first=$KPM_SESSION; old=$API_KEY",
      `eval "$(kpm env --from "$T" --output shell ${flag})"`,
      'ls "$RT" | grep -c "\\.sock$"',
      '[ -e "$RT/$first.sock" ] && echo first-running || echo first-gone',
      "kpm decrypt --env API_KEY; echo",
      'kpm decrypt "$old" >/dev/null 2>&1 && echo old-blob-decrypts || echo old-blob-dead',
    ].join("\n");

  test("two loads leave one listener; the new blobs decrypt, the replaced session's do not", async () => {
    const result = await runShell("bash", reload(""));
    expect(result.stdout).toBe(`1\nfirst-gone\n${API_KEY}\nold-blob-dead\n`);
    expect(result.code).toBe(0);
  });

  test("without replacement (--listener keeps each one) the same two loads pile up", async () => {
    const result = await runShell("bash", reload("--listener"));
    expect(result.stdout).toBe(`2\nfirst-running\n${API_KEY}\nold-blob-decrypts\n`);
  });

  test("another shell's listener is never replaced", async () => {
    const other = spawnShell(
      "bash",
      'eval "$(kpm env --from "$T" --output shell)"; echo "$KPM_SESSION"; sleep 30',
    );
    const reader = other.stdout.getReader();
    const otherSession = new TextDecoder().decode((await reader.read()).value).trim();
    reader.releaseLock();
    const result = await runShell("bash", reload(""));
    expect(result.stdout.split("\n")[0]).toBe("2");
    expect(existsSync(join(sandbox.runtimeDir, `${otherSession}.sock`))).toBe(true);
  });
});

describe("dotenv and json to a file or pipe start no listener unless asked", () => {
  const REFUSAL = (format: string) =>
    [
      `kpm env: --output ${format} prints ciphertext that only a session listener decrypts`,
      'tip: add --listener (it stops when this shell exits), or use --plaintext, or eval "$(kpm env --output shell)"',
      "",
    ].join("\n");

  test("--output json into a pipe and dotenv into a file: exit 2, one line and a tip, nothing written, no listener", async () => {
    const piped = await runShell(
      "bash",
      'kpm env --from "$T" --output json | cat; echo "exit=${PIPESTATUS[0]}"',
    );
    expect(piped).toEqual({ code: 0, stdout: "exit=2\n", stderr: REFUSAL("json") });
    const out = join(sandbox.root, "app.env");
    const filed = await runShell("bash", `kpm env --from "$T" > ${out}; echo "exit=$?"`);
    expect(filed).toEqual({ code: 0, stdout: "exit=2\n", stderr: REFUSAL("dotenv") });
    expect(readFileSync(out, "utf8")).toBe("");
    expect(sockets()).toEqual([]);
  });

  test("--listener starts one, owned by the shell: it serves while the shell runs and exits with it", async () => {
    const out = join(sandbox.root, "app.json");
    const result = await runShell(
      "bash",
      `kpm env --from "$T" --output json --listener > ${out} 2>/dev/null; ls "$RT" | grep -c "\\.sock$"; kpm decrypt "$(sed -n 's/.*"API_KEY": "\\(.*\\)".*/\\1/p' ${out})"`,
    );
    expect(result.stdout).toBe(`1\n${API_KEY}`);
    const { KPM_SESSION: sessionId = "" } = JSON.parse(readFileSync(out, "utf8")) as Record<string, string>;
    expect(await waitUntil(() => !existsSync(join(sandbox.runtimeDir, `${sessionId}.sock`)), 4000)).toBe(
      true,
    );
  });

  test.if(available("script"))(
    "on a terminal dotenv starts the load's listener, and the next load replaces it",
    async () => {
      // script(1) gives the inner shell a pseudo-terminal, as when a user types `kpm env` twice.
      const inner = join(sandbox.root, "terminal.sh");
      writeFileSync(inner, 'kpm env --from "$T"\nkpm env --from "$T"\nls "$RT" | grep "\\.sock$"\n');
      const result = await runShell("bash", `script -qec "bash ${inner}" /dev/null`);
      const output = result.stdout.replaceAll("\r", "");
      const sessions = [...output.matchAll(/^KPM_SESSION=(\S+)$/gm)].map((match) => match[1]);
      expect(sessions).toHaveLength(2);
      expect(output.split("\n").filter((line) => /^s[0-9a-f]{8}\.sock$/.test(line))).toEqual([
        `${sessions[1]}.sock`,
      ]);
      expect(output).toMatch(/^API_KEY=ENC\[kpm:/m);
    },
  );

  test("--plaintext needs no listener and refuses --listener", async () => {
    const plain = await runShell("bash", 'kpm env --from "$T" --output json --plaintext 2>/dev/null');
    expect(JSON.parse(plain.stdout)).toEqual({ API_KEY, APP: "plain" });
    const both = await runShell("bash", 'kpm env --from "$T" --plaintext --listener');
    expect(both).toEqual({
      code: 2,
      stdout: "",
      stderr: "kpm: --listener and --plaintext are mutually exclusive\n",
    });
    expect(sockets()).toEqual([]);
  });

  test("a --shell-pid that is not a running process is a usage error", async () => {
    const result = await runShell("bash", 'kpm env --from "$T" --output shell --shell-pid 0x1');
    expect(result).toEqual({ code: 2, stdout: "", stderr: "kpm env: --shell-pid 0x1: no such process\n" });
  });
});

describe("kpm env --unload", () => {
  // Single quotes only: the same line runs in fish.
  const probe =
    "env | grep -E '^(API_KEY|APP|KPM_SESSION|KPM_DECRYPT_SOCK|KPM_TEMPLATE)=' | sort; ls \"$RT\" | grep -c '\\.sock$'";

  for (const shell of ["bash", "zsh", "sh"]) {
    test.if(available(shell))(
      `${shell}: eval "$(kpm env --unload)" unsets the variables and stops the listener`,
      async () => {
        const result = await runShell(
          shell,
          `eval "$(kpm env --from "$T" --output shell)"; eval "$(kpm env --unload)"; ${probe}`,
        );
        // APP is a plain entry, not kpm-managed: it stays.
        expect(result.stdout).toBe("APP=plain\n0\n");
        expect(result.stderr).toContain("✓ Stopped 1 session listener\n");
      },
    );
  }

  test.if(available("fish"))("fish: kpm env --unload | source unsets the variables", async () => {
    const result = await runShell(
      "fish",
      `kpm env --from "$T" --output shell | source; kpm env --unload | source; ${probe}`,
      { SHELL: "/usr/bin/fish" },
    );
    expect(result.stdout).toBe("APP=plain\n0\n");
  });

  test("a shell that lost its variables still stops the listener it owns", async () => {
    const result = await runShell(
      "bash",
      `eval "$(kpm env --from "$T" --output shell)"; unset API_KEY KPM_SESSION KPM_DECRYPT_SOCK; kpm env --unload >/dev/null; ls "$RT" | grep -c "\\.sock$"`,
    );
    expect(result.stdout).toBe("0\n");
    expect(result.stderr).toContain("✓ Stopped 1 session listener\n");
  });
});

describe("the reload hint", () => {
  test("names the template that was loaded, quoted, and evaluating it reloads the shell", async () => {
    const spaced = join(sandbox.root, "my templates");
    mkdirSync(spaced, { recursive: true });
    const loaded = join(spaced, "app.template");
    writeFileSync(loaded, readFileSync(template));
    const result = await runShell(
      "bash",
      [
        'eval "$(kpm env --from "$LOADED" --output shell)"',
        "kpm env --unload >/dev/null 2>&1", // stops the listener; the variables stay
        'hint=$(kpm run -- true 2>&1 | sed -n "s/.*reload with: //p")',
        'printf "%s\\n" "$hint"',
        'eval "$hint"',
        "kpm run --no-masking -- printenv API_KEY",
      ].join("\n"),
      { LOADED: loaded },
    );
    expect(result.stdout).toBe(`eval "$(kpm env --from '${loaded}' --output shell)"\n${API_KEY}\n`);
    expect(result.code).toBe(0);
  });
});
