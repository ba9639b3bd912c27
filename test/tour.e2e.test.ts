// The README's "2-minute tour", line by line, as a new user runs it right after `bun run setup`:
// the ```sh block is read from README.md at test time (so the README cannot drift from what
// works), and its lines run verbatim, in order, in ONE bash on a pseudo-terminal (script(1)),
// with a fresh HOME, the compiled dist/kpm on PATH as `kpm` (as setup installs it into
// ~/.local/bin), in a git checkout. Each line's exit code, stdout (the terminal) and stderr (a
// file per line) are checked against the expectation written for that line below; a README
// line without one, or an expectation that matches no line, fails the test.
//
// One change to what runs, and only this one: the `kpm quickstart` line gets
// `--addr 127.0.0.1:<free port>` appended to the command, so the test never touches 8443. The dev
// dir comes from $AGENTKMS_DIR, which quickstart and `kpm dev stop` honour as documented.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { existsSync, mkdirSync, readdirSync, readFileSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { createSandbox, REPO_ROOT, runKpmProcess, type Sandbox } from "./helpers/kpm-env.ts";
import { COMPILED_BINARY, ensureCompiledBinary } from "./helpers/run-kpm.ts";

/** What a line printed and how it ended. */
interface Step {
  line: string;
  code: number;
  /** What reached the terminal (\r\n as \n). */
  stdout: string;
  stderr: string;
}

/** The checks for one README line, found by `match` against the line as written. */
interface Expectation {
  match: RegExp;
  check: (step: Step) => void;
}

const MARK = "\x1f";

/** The command lines of the ```sh block under "## 2-minute tour" (comments and blank lines dropped). */
function tourLines(readme: string): string[] {
  const section = readme.split(/^## 2-minute tour$/m)[1];
  const block = section ? /^```sh\n([\s\S]*?)^```$/m.exec(section.split(/^## /m)[0] ?? "") : null;
  if (!block?.[1]) throw new Error('README.md: no ```sh block under "## 2-minute tour"');
  return block[1].split("\n").filter((line) => line.trim() !== "" && !line.trimStart().startsWith("#"));
}

let sandbox: Sandbox;
let checkout: string;
let devDir: string;
let addr: string;
let steps: Step[] = [];
/** script(1) running the tour's bash: killed in afterAll should a failure leave it running. */
let terminal: Bun.Subprocess | undefined;
let after = "";

function freePort(): number {
  const listener = Bun.listen({ hostname: "127.0.0.1", port: 0, socket: { data() {} } });
  const { port } = listener;
  listener.stop(true);
  return port;
}

/** The lines as bash runs them: each one verbatim, its stderr into its own file, a mark with its status after it. */
function tourScript(lines: string[], stepsDir: string): string {
  const body = lines.flatMap((line, index) => [
    `exec 2>${stepsDir}/${index}.err`,
    line,
    "__tour_status=$?",
    "exec 2>&9",
    `printf '${MARK}%s${MARK}' "$__tour_status"`,
  ]);
  // After the tour (not README lines): what `kpm env --unload` left in this shell's environment.
  const probe = `printf 'left:%s\\n' "$(env | grep -E '^(KPM_|OPENAI_API_KEY|ANTHROPIC_API_KEY)' | cut -d= -f1 | sort | tr '\\n' ' ')"`;
  return ["exec 9>&2", ...body, probe, ""].join("\n");
}

beforeAll(async () => {
  ensureCompiledBinary();
  const script = Bun.which("script");
  if (script === null) throw new Error("the tour test needs script(1) (util-linux) for a terminal");
  sandbox = createSandbox();
  checkout = join(sandbox.root, "checkout");
  mkdirSync(join(checkout, ".git"), { recursive: true });
  const bin = join(sandbox.home, ".local/bin");
  mkdirSync(bin, { recursive: true });
  symlinkSync(COMPILED_BINARY, join(bin, "kpm"));
  devDir = join(sandbox.root, "agentkms");
  addr = `127.0.0.1:${freePort()}`;

  const lines = tourLines(readFileSync(join(REPO_ROOT, "README.md"), "utf8"));
  const rewritten = lines.map((line) =>
    line.replace(/^kpm quickstart(?=\s|$)/, `kpm quickstart --addr ${addr}`),
  );
  expect(rewritten.filter((line, index) => line !== lines[index])).toHaveLength(1);
  const stepsDir = join(sandbox.root, "steps");
  mkdirSync(stepsDir);
  const file = join(sandbox.root, "tour.sh");
  writeFileSync(file, tourScript(rewritten, stepsDir));

  const child = Bun.spawn([script, "-qec", `bash --noprofile --norc ${file}`, "/dev/null"], {
    cwd: checkout,
    env: {
      // As a user runs it: with the per-user agent (the sandbox turns it off for other e2e files);
      // sandbox.cleanup() stops it.
      ...withoutKey(sandbox.env, "KPM_NO_AGENT"),
      PATH: `${bin}:/usr/bin:/bin`,
      SHELL: "/bin/bash",
      TERM: "dumb",
      AGENTKMS_DIR: devDir,
    },
    stdin: "ignore",
    stdout: "pipe",
    stderr: "pipe",
  });
  terminal = child;
  const [output, code] = await Promise.all([new Response(child.stdout).text(), child.exited]);
  expect(code).toBe(0);
  const parts = output.replaceAll("\r\n", "\n").split(MARK);
  steps = lines.map((line, index) => ({
    line,
    stdout: parts[2 * index] ?? "",
    code: Number(parts[2 * index + 1] ?? Number.NaN),
    stderr: readFileSync(join(stepsDir, `${index}.err`), "utf8"),
  }));
  after = parts[2 * lines.length] ?? "";
}, 180_000);

/**
 * KPM_TOUR_RECORD=<file>: writes every line's exit code and outputs, with what differs between
 * runs (the sandbox path, the port, PIDs, session ids, ciphertext, digests, dates) replaced by
 * placeholders, so two builds' tours can be compared byte for byte with diff(1).
 */
function recordTour(file: string): void {
  const normalise = (text: string) =>
    text
      .replaceAll(sandbox.root, "<root>")
      .replaceAll(addr, "<addr>")
      .replace(/ENC\[kpm:[^\]\n]+\]/g, "ENC[<blob>]")
      .replace(/\bs[0-9a-f]{8}\b/g, "<session>")
      .replace(/\b[0-9a-f]{12,64}\b/g, "<hex>")
      .replace(/PID:? +\d+/g, "PID <pid>")
      .replace(/\b\d+m\d+s\b/g, "<duration>")
      .replace(/\d{4}-\d{2}-\d{2}\)/g, "<date>)")
      .replace(/\d{4}-\d{2}-\d{2}[T ][0-9:.]+Z?/g, "<time>")
      .replace(/\b\d+(\.\d+)? ?(ms|s|days?|hours?|minutes?)\b/g, "<duration>");
  const record = steps.map((step) => ({
    ...step,
    stdout: normalise(step.stdout),
    stderr: normalise(step.stderr),
  }));
  writeFileSync(file, `${JSON.stringify(record, null, 2)}\n`);
}

function withoutKey(env: Record<string, string>, name: string): Record<string, string> {
  const { [name]: _dropped, ...rest } = env;
  return rest;
}

afterAll(async () => {
  terminal?.kill("SIGKILL");
  if (process.env.KPM_TOUR_RECORD && steps.length > 0) recordTour(process.env.KPM_TOUR_RECORD);
  // The tour's own `kpm dev stop` should have stopped it; a failed tour may not have got there.
  if (existsSync(join(devDir, "server.json"))) {
    await runKpmProcess(["dev", "stop", "--dir", devDir], { env: sandbox.env, binary: true });
  }
  sandbox?.cleanup();
});

const project = () => join(checkout, ".kpm/templates/.env.template");
const shellEnv = () => join(sandbox.home, ".config/kpm/templates/shell-env.template");

const expectations: Expectation[] = [
  {
    match: /^kpm quickstart\b/,
    check: (step) => {
      expect(step.stderr).toContain("KPM quickstart complete!");
      // Spelled as this shell finds kpm, and the project run because it works from here.
      expect(step.stderr).toContain(
        [
          "  Try these:",
          "    kpm tree",
          `    kpm env --from ${shellEnv()}`,
          `    kpm env --from ${shellEnv()} --plaintext`,
          "    kpm run -- printenv DB_HOST",
          "",
        ].join("\n"),
      );
      expect(step.stderr).not.toContain("PATH");
    },
  },
  {
    match: /^kpm list\b/,
    check: (step) => {
      expect(step.stdout).toMatch(/^demo\/\n {2}api-key +api-token/m);
      expect(step.stdout).not.toContain("sk-demo");
    },
  },
  {
    match: /^kpm tree\b/,
    check: (step) => {
      expect(step.stdout).toContain(`User: ${join(sandbox.home, ".config/kpm/templates")}\n`);
      expect(step.stdout).toContain("ai/claude.template");
      expect(step.stdout).toContain(`Project: ${join(checkout, ".kpm/templates")}\n`);
      expect(step.stdout).toMatch(/ {2}\.env\.template +4 secrets \[kv\/db\/prod#host, /);
    },
  },
  {
    match: /^kpm run -- printenv DB_HOST\b/,
    check: (step) => {
      expect(step.stdout).toBe("db.prod.internal\n");
      expect(step.stderr).toBe("");
    },
  },
  {
    match: /^eval "\$\(kpm env --from ~\/\.config\/kpm\/templates\/shell-env\.template --output shell\)"/,
    check: (step) => {
      expect(step.stdout).toBe("");
      expect(step.stderr).toContain("✓");
      expect(step.stderr).not.toContain("sk-demo");
    },
  },
  {
    match: /^echo "\$OPENAI_API_KEY"/,
    check: (step) => expect(step.stdout).toMatch(/^ENC\[kpm:s[0-9a-f]{8}:[^\n]+\]\n$/),
  },
  {
    match: /^kpm run -- sh -c 'echo "\$OPENAI_API_KEY"'/,
    check: (step) => {
      // A terminal: the child's plaintext is shown as is.
      expect(step.stdout).toBe("sk-demo-openai-key-for-testing\n");
      // The shell's session won; the project template it passed over is named, with the way to use it.
      expect(step.stderr).toBe(
        `kpm: using this shell's session (env-scan); ignoring ${project()} — use --from ${project()} to use it instead\n`,
      );
    },
  },
  {
    match: /^demo=\$\(mktemp -d\)/,
    check: (step) => expect(step.stdout + step.stderr).toBe(""),
  },
  {
    match: /^kpm run --secure -- "\$demo\/claude"/,
    check: (step) => {
      expect(step.stdout).toBe("ANTHROPIC_API_KEY\n");
      expect(step.stderr).toBe("");
    },
  },
  {
    match: /^kpm doctor\b/,
    check: (step) => {
      expect(step.stdout).toContain(`✓ server https://${addr}: reachable\n`);
      expect(step.stdout).toMatch(/^✓ listener s[0-9a-f]{8}: answering at /m);
      expect(step.stdout).toContain(`✓ project trust ${checkout}: 1 project file trusted`);
      expect(step.stdout).not.toMatch(/^[✗!] /m);
    },
  },
  {
    match: /^kpm trust --list\b/,
    check: (step) => expect(step.stdout).toMatch(new RegExp(`^[0-9a-f]{12} {2}ok {10}${project()}\\n$`)),
  },
  {
    match: /^eval "\$\(kpm shell-init\)"/,
    check: (step) => expect(step.stdout + step.stderr).toBe(""),
  },
  {
    match: /^eval "\$\(kpm env --unload\)"/,
    check: (step) => {
      // One listener: shell-init's load replaced the first one (same shell).
      expect(step.stderr).toBe("✓ Stopped 1 session listener\n");
      expect(after).toBe("left:\n");
    },
  },
  {
    match: /^kpm dev stop\b/,
    check: (step) => {
      const pid = /dev server started \(PID (\d+)\)/.exec(steps[0]?.stderr ?? "")?.[1];
      expect(step.stderr).toBe(`✓ AgentKMS dev server stopped (PID ${pid})\n`);
      expect(existsSync(join(devDir, "server.json"))).toBe(false);
    },
  },
];

describe("the README's 2-minute tour", () => {
  test("every command line has an expectation, and every expectation one line", () => {
    const lines = tourLines(readFileSync(join(REPO_ROOT, "README.md"), "utf8"));
    for (const line of lines) {
      expect({ line, matches: expectations.filter((e) => e.match.test(line)).length }).toEqual({
        line,
        matches: 1,
      });
      // One line is one step: no continuation onto the next line.
      expect(line.trimEnd().endsWith("\\")).toBe(false);
    }
    for (const expectation of expectations) {
      expect({
        expectation: expectation.match.source,
        lines: lines.filter((l) => expectation.match.test(l)).length,
      }).toEqual({
        expectation: expectation.match.source,
        lines: 1,
      });
    }
  });

  test("each line exits 0 and prints what its comment says", () => {
    expect(steps.length).toBeGreaterThan(0);
    for (const step of steps) {
      const expectation = expectations.find((e) => e.match.test(step.line));
      expect({ line: step.line, code: step.code }).toEqual({ line: step.line, code: 0 });
      expectation?.check(step);
    }
  });

  test("only kpm run printed a secret, and no listener outlived the tour's unload", () => {
    const sockets = existsSync(sandbox.runtimeDir)
      ? readdirSync(sandbox.runtimeDir).filter((name) => name.endsWith(".sock"))
      : [];
    // The per-user agent is not a session listener: it served the tour and stays until idle.
    expect(sockets).toContain("agent.sock");
    expect(sockets.filter((name) => name !== "agent.sock")).toEqual([]);
    for (const step of steps.filter((s) => !s.line.startsWith("kpm run"))) {
      expect(step.stdout + step.stderr).not.toContain("sk-demo");
    }
  });
});
