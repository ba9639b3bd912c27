// The small CLI parts: per-command usage rendering, the verbatim stderr logger, stdout/stderr
// writers and isatty on real descriptors, lazy command wrappers, and the prompts (driven through
// a child process, with a real pseudo-terminal from script(1) for the masked prompt).
import { describe, expect, test } from "bun:test";
import { closeSync, mkdtempSync, openSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  asSubcommand,
  defineKpmCommand,
  globalArgs,
  type KpmCommand,
  lazyCommand,
} from "../src/cli/command.ts";
import { isatty, stderrSink, writeStderr, writeStdout } from "../src/cli/io.ts";
import { createLogger } from "../src/cli/logger.ts";
import { commandUsage, topLevelUsage } from "../src/cli/usage.ts";

function captureStderr(work: () => void): string[] {
  const lines: string[] = [];
  const original = stderrSink.writeLine;
  stderrSink.writeLine = (text: string) => {
    lines.push(text);
  };
  try {
    work();
  } finally {
    stderrSink.writeLine = original;
  }
  return lines;
}

describe("commandUsage", () => {
  test("renders usage, description, aligned flags with value hints and aliases, notes and the global line", () => {
    const command = defineKpmCommand({
      meta: { name: "remove", description: "Delete a secret" },
      usage: "<service/name> [flags]",
      notes: ["Example:", "  kpm remove svc/x --purge"],
      args: {
        path: { type: "positional", required: false },
        purge: { type: "boolean", description: "Remove all versions" },
        yes: { type: "boolean", alias: "y", description: "Skip the prompt" },
        reason: { type: "string", description: "Why", valueHint: "text" },
        note: { type: "string" },
      },
    });
    // The command table holds definitions widened to KpmCommand the same way (commands/index.ts).
    expect(commandUsage("remove", command as unknown as KpmCommand)).toBe(
      [
        "Usage: kpm remove <service/name> [flags]",
        "",
        "Delete a secret",
        "",
        "Flags:",
        "  --purge          Remove all versions",
        "  --yes, -y        Skip the prompt",
        "  --reason <text>  Why",
        "  --note <value>",
        "",
        "Example:",
        "  kpm remove svc/x --purge",
        "",
        "Global flags: --config, --server, --cert, --key, --ca, --verbose (-v)",
        "",
      ].join("\n"),
    );
  });

  test("a command without description or flags prints only the usage and global lines", () => {
    expect(commandUsage("bare", defineKpmCommand({}))).toBe(
      "Usage: kpm bare\n\nGlobal flags: --config, --server, --cert, --key, --ca, --verbose (-v)\n",
    );
  });

  test("the top-level usage substitutes both paths", () => {
    const text = topLevelUsage("/c/config.yaml", "/t");
    expect(text).toContain("  --config <path>   Config file (default: /c/config.yaml)\n");
    expect(text).toContain('eval "$(kpm env --from /t/shell-env.template --output shell)"\n');
  });

  test("global args define -v as the only alias", () => {
    const aliases = Object.values(globalArgs).flatMap((def) => ("alias" in def ? [def.alias] : []));
    expect(aliases).toEqual(["v"]);
  });
});

describe("command wrappers", () => {
  test("lazyCommand loads the module's default export only when called", async () => {
    let loaded = 0;
    const loader = lazyCommand(async () => {
      loaded++;
      return import("../src/commands/version.ts");
    });
    expect(loaded).toBe(0);
    const command = await loader();
    expect(loaded).toBe(1);
    expect((command.meta as { name?: string }).name).toBe("version");
  });

  test("asSubcommand hands back the same definition", () => {
    const command = defineKpmCommand({ meta: { name: "x" } });
    expect(asSubcommand(command) as unknown).toBe(command);
  });
});

describe("createLogger", () => {
  test("prints our exact text on stderr: parts joined by spaces, no badges or icons", () => {
    const logger = createLogger(false);
    expect(captureStderr(() => logger.info("✓ Config written to", "/x"))).toEqual(["✓ Config written to /x"]);
    expect(captureStderr(() => logger.warn("kpm: warning"))).toEqual(["kpm: warning"]);
  });

  test("debug lines appear only when verbose", () => {
    expect(captureStderr(() => createLogger(false).debug("hidden"))).toEqual([]);
    expect(captureStderr(() => createLogger(true).debug("shown", 2))).toEqual(["shown 2"]);
  });
});

describe("io", () => {
  test("isatty is false for a regular file, a pipe and /dev/null, true for a pseudo-terminal", () => {
    const dir = mkdtempSync(join(tmpdir(), "kpm-io-"));
    const file = join(dir, "f");
    writeFileSync(file, "");
    const fileFd = openSync(file, "r");
    const ptyFd = openSync("/dev/ptmx", "r+");
    const nullFd = openSync("/dev/null", "r");
    const fifo = join(dir, "fifo");
    expect(Bun.spawnSync(["mkfifo", fifo]).exitCode).toBe(0);
    // O_RDWR: on Linux a FIFO opened for both ends does not wait for a peer.
    const pipeFd = openSync(fifo, "r+");
    try {
      expect(isatty(fileFd)).toBe(false);
      expect(isatty(ptyFd)).toBe(true);
      expect(isatty(nullFd)).toBe(false);
      expect(isatty(pipeFd)).toBe(false);
      expect(isatty(987_654)).toBe(false);
    } finally {
      closeSync(pipeFd);
      closeSync(fileFd);
      closeSync(nullFd);
      closeSync(ptyFd);
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test("writeStdout and writeStderr write exactly the bytes given, no newline added", async () => {
    await writeStdout(new Uint8Array());
    await writeStderr("");
    const io = JSON.stringify(join(import.meta.dir, "../src/cli/io.ts"));
    const child = Bun.spawnSync([
      process.execPath,
      "-e",
      `const io = await import(${io}); await io.writeStdout("a\\u00e9"); await io.writeStdout(new Uint8Array([0, 255])); await io.writeStderr("err");`,
    ]);
    expect([...child.stdout]).toEqual([0x61, 0xc3, 0xa9, 0, 255]);
    expect(child.stderr.toString()).toBe("err");
  });
});

const PROMPT = JSON.stringify(join(import.meta.dir, "../src/cli/prompt.ts"));

function runPromptScript(body: string, input: string): { stdout: string; stderr: string } {
  const child = Bun.spawnSync([process.execPath, "-e", `const p = await import(${PROMPT});\n${body}`], {
    stdin: new TextEncoder().encode(input),
  });
  return { stdout: child.stdout.toString(), stderr: child.stderr.toString() };
}

describe("prompts (child process)", () => {
  test("readLine returns the first line from a pipe, the partial text at EOF, or null on empty input", () => {
    const body = "console.log(JSON.stringify(await p.readLine()));";
    expect(runPromptScript(body, "first\nsecond\n").stdout).toBe('"first"\n');
    expect(runPromptScript(body, "no newline").stdout).toBe('"no newline"\n');
    expect(runPromptScript(body, "").stdout).toBe("null\n");
  });

  test("confirm asks on stderr and accepts only y or Y", () => {
    const body = 'console.log(await p.confirm("Delete? [y/N] "));';
    expect(runPromptScript(body, " Y \n")).toEqual({ stdout: "true\n", stderr: "Delete? [y/N] " });
    expect(runPromptScript(body, "yes\n").stdout).toBe("false\n");
    expect(runPromptScript(body, "").stdout).toBe("false\n");
  });

  test("stdinIsTerminal is false for a pipe", () => {
    expect(runPromptScript("console.log(p.stdinIsTerminal());", "").stdout).toBe("false\n");
  });

  test("readMaskedValue on a real terminal returns the typed bytes without echoing them", async () => {
    const dir = mkdtempSync(join(tmpdir(), "kpm-pty-"));
    try {
      const script = join(dir, "masked.ts");
      // The value goes to a file, never to the terminal, so the transcript proves there was no echo.
      writeFileSync(
        script,
        `const p = await import(${PROMPT});
const value = await p.readMaskedValue("Value: ");
await Bun.write(${JSON.stringify(join(dir, "out"))}, value);
`,
      );
      // Type "s3crétX", backspace over "X", Enter — through a pseudo-terminal made by script(1).
      const child = Bun.spawn(["script", "-qec", `${process.execPath} ${script}`, "/dev/null"], {
        stdin: "pipe",
        stdout: "pipe",
        stderr: "pipe",
      });
      // Type only once the prompt is on the terminal (raw mode is set right after it), so the
      // line discipline never sees, echoes or edits the input itself.
      const reader = child.stdout.getReader();
      const decoder = new TextDecoder();
      let transcript = "";
      while (!transcript.includes("Value: ")) {
        const { value, done } = await reader.read();
        if (done) break;
        transcript += decoder.decode(value, { stream: true });
      }
      await Bun.sleep(50);
      child.stdin.write("s3crétX\x7f\r");
      await child.stdin.flush();
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        transcript += decoder.decode(value, { stream: true });
      }
      const code = await child.exited;
      child.stdin.end();
      expect(code).toBe(0);
      expect(await Bun.file(join(dir, "out")).text()).toBe("s3crét");
      expect(transcript).toContain("Value: ");
      expect(transcript).not.toContain("s3cr");
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
