// The dispatcher in-process (spec §3.2–§3.6): exit codes and the exact stderr lines for usage,
// help, unknown commands and flags, groups, errors and a real `init` against a temp config path.
// stderr and stdout are observed by swapping io.ts's sinks (the CLI's only output paths).
import { afterEach, beforeEach, describe, expect, test } from "bun:test";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { AgentKmsError } from "@kpm/agentkms-client";
import { reportError, runCli } from "../src/cli/dispatch.ts";
import { CliError } from "../src/cli/errors.ts";
import { stderrSink, stdoutSink } from "../src/cli/io.ts";

let root: string;
let env: Record<string, string>;
beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), "kpm-dispatch-"));
  env = { HOME: root, PATH: process.env.PATH ?? "/usr/bin:/bin" };
});
afterEach(() => rmSync(root, { recursive: true, force: true }));

/** Runs `work` and returns the stderr lines and the stdout text it wrote. */
async function captureOutput<T>(
  work: () => Promise<T> | T,
): Promise<{ result: T; lines: string[]; stdout: string }> {
  const lines: string[] = [];
  let stdout = "";
  const originalLine = stderrSink.writeLine;
  const originalWrite = stdoutSink.write;
  stderrSink.writeLine = (text: string) => {
    lines.push(text);
  };
  stdoutSink.write = async (data: string | Uint8Array) => {
    stdout += typeof data === "string" ? data : new TextDecoder().decode(data);
  };
  try {
    return { result: await work(), lines, stdout };
  } finally {
    stderrSink.writeLine = originalLine;
    stdoutSink.write = originalWrite;
  }
}

async function captureStderr<T>(work: () => Promise<T> | T): Promise<{ result: T; lines: string[] }> {
  const { result, lines } = await captureOutput(work);
  return { result, lines };
}

const cli = (argv: string[], environment: Record<string, string> = env) =>
  captureOutput(() => runCli(argv, environment));

const USAGE_TITLE = "kpm — secure secrets CLI backed by AgentKMS";

describe("runCli", () => {
  test("no arguments: usage on stderr, exit 2 (a usage error)", async () => {
    const { result, lines, stdout } = await cli([]);
    expect(result).toBe(2);
    expect(stdout).toBe("");
    expect(lines[0]?.split("\n")[0]).toBe(USAGE_TITLE);
    expect(lines[0]).toContain(`(default: ${root}/.config/kpm/config.yaml)`);
  });

  test("--help, -h and help: usage on stdout, nothing on stderr, exit 0", async () => {
    for (const argv of [["--help"], ["-h"], ["help"], ["-v", "--help"], ["help", "help"]]) {
      const { result, lines, stdout } = await cli(argv);
      expect(result).toBe(0);
      expect(lines).toEqual([]);
      expect(stdout).toStartWith(`${USAGE_TITLE}\n`);
    }
  });

  test("KPM_CONFIG naming a file: the usage prints with placeholders", async () => {
    const file = join(root, "file.yaml");
    writeFileSync(file, "");
    const { result, stdout } = await cli(["--help"], { ...env, KPM_CONFIG: file });
    expect(result).toBe(0);
    expect(stdout).toContain("(default: <ConfigDir>/config.yaml)");
    expect(stdout).toContain("--from <TemplatesDir>/shell-env.template");
  });

  test("an unknown flag before the command: one line, exit 2; a near miss gets a hint", async () => {
    expect(await cli(["--bogus", "list"])).toEqual({
      result: 2,
      lines: ["flag provided but not defined: -bogus"],
      stdout: "",
    });
    expect((await cli(["--verbos", "list"])).lines).toEqual([
      "flag provided but not defined: -verbos",
      'Did you mean "--verbose"?',
    ]);
  });

  test("an unknown command: its name and one hint line, exit 2", async () => {
    expect(await cli(["frobnicate"])).toEqual({
      result: 2,
      lines: ["unknown command: frobnicate", "Run 'kpm help' for the list of commands."],
      stdout: "",
    });
    expect((await cli(["lst"])).lines).toEqual(["unknown command: lst", 'Did you mean "kpm list"?']);
  });

  test("help <command> and <command> --help print that command's usage on stdout, exit 0", async () => {
    for (const argv of [
      ["help", "init"],
      ["init", "--help"],
      ["init", "-h"],
    ]) {
      const { result, lines, stdout } = await cli(argv);
      expect(result).toBe(0);
      expect(lines).toEqual([]);
      expect(stdout.split("\n")[0]).toBe("Usage: kpm init");
      expect(stdout).toContain("\nExamples:\n  kpm init --server");
    }
    expect((await cli(["help", "dev", "status"])).stdout.split("\n")[0]).toBe(
      "Usage: kpm dev status [--dir D]",
    );
    expect((await cli(["help", "export"])).stdout.split("\n")[0]).toStartWith("Usage: kpm export ");
  });

  test("help with an unknown command name is a usage error with a hint", async () => {
    expect(await cli(["help", "nope"])).toEqual({
      result: 2,
      lines: ["unknown command: nope", "Run 'kpm help' for the list of commands."],
      stdout: "",
    });
    expect((await cli(["help", "lsit"])).lines).toEqual([
      "unknown command: lsit",
      'Did you mean "kpm help list"?',
    ]);
    expect((await cli(["help", "dev", "stat"])).lines).toEqual([
      'kpm dev: unknown subcommand "stat" (use serve, enroll, secrets, status or stop)',
      'Did you mean "kpm dev status"?',
    ]);
  });

  test("an unknown flag after the command: the message and the usage hint, exit 2", async () => {
    expect(await cli(["init", "--bogus"])).toEqual({
      result: 2,
      lines: ["flag provided but not defined: -bogus", "Run 'kpm init --help' for usage."],
      stdout: "",
    });
  });

  test("groups: usage with --help, the group's own text without a subcommand, subcommand flags", async () => {
    expect((await cli(["dev", "--help"])).stdout.split("\n")[0]).toStartWith("Usage: kpm dev");
    expect(await cli(["dev"])).toEqual({
      result: 2,
      lines: [
        "kpm dev: subcommand required (serve, enroll, secrets, stop or status)",
        "Run 'kpm dev --help' for usage.",
      ],
      stdout: "",
    });
    expect(await cli(["dev", "nope"])).toEqual({
      result: 2,
      lines: [
        'kpm dev: unknown subcommand "nope" (use serve, enroll, secrets, status or stop)',
        "Run 'kpm dev --help' for usage.",
      ],
      stdout: "",
    });
    expect((await cli(["config", "psuh"])).lines).toEqual([
      'kpm config: unknown subcommand "psuh" (use push or pull)',
      'Did you mean "kpm config push"?',
    ]);
    expect((await cli(["dev", "secrets", "lst"])).lines).toEqual([
      'kpm dev secrets: unknown subcommand "lst" (use set, list or delete)',
      'Did you mean "kpm dev secrets list"?',
    ]);
    expect((await cli(["dev", "status", "--help"])).stdout.split("\n")[0]).toStartWith(
      "Usage: kpm dev status",
    );
    expect(await cli(["dev", "status", "--bogus"])).toEqual({
      result: 2,
      lines: ["flag provided but not defined: -bogus", "Run 'kpm dev status --help' for usage."],
      stdout: "",
    });
    expect((await cli(["dev", "--bogus"])).result).toBe(2);
  });

  test("init writes the config named by --config, then refuses to overwrite it", async () => {
    const path = join(root, "conf", "config.yaml");
    expect(await cli(["--config", path, "init", "--server", "https://x:1"])).toEqual({
      result: 0,
      lines: [`✓ Config written to ${path}`, "  Edit it with your AgentKMS server details and cert paths."],
      stdout: "",
    });
    expect(readFileSync(path, "utf8")).toContain("server: https://x:1\n");
    expect(await cli(["init", `--config=${path}`])).toEqual({
      result: 1,
      lines: [`config already exists: ${path}`],
      stdout: "",
    });
  });

  test("a command's CliError from the directory resolution becomes its lines and exit code", async () => {
    const file = join(root, "file.yaml");
    writeFileSync(file, "");
    expect(await cli(["init"], { ...env, KPM_CONFIG: file })).toEqual({
      result: 1,
      lines: [`error: KPM_CONFIG must name a directory (got file ${file}); use --config for a file`],
      stdout: "",
    });
  });
});

describe("reportError", () => {
  test("a CliError prints each line and returns its exit code", async () => {
    expect(await captureStderr(() => reportError(new CliError(["first", "second"], 3), false))).toEqual({
      result: 3,
      lines: ["first", "second"],
    });
  });

  test("any other error is one error: line, exit 1, with no stack unless debugging", async () => {
    expect(await captureStderr(() => reportError(new Error("boom"), false))).toEqual({
      result: 1,
      lines: ["error: boom"],
    });
    expect(
      (await captureStderr(() => reportError(new Error("error: already prefixed"), false))).lines,
    ).toEqual(["error: already prefixed"]);
    expect((await captureStderr(() => reportError("plain text", true))).lines).toEqual(["error: plain text"]);
  });

  test("with debug on, the stack follows the message", async () => {
    const { result, lines } = await captureStderr(() => reportError(new Error("boom"), true));
    expect(result).toBe(1);
    expect(lines[0]).toBe("error: boom");
    expect(lines[1]).toContain("at ");
  });
});

describe("reportError on an error that may quote what it was handed", () => {
  const MARKER = "MARKER_7f3a9c";
  /** The runtime's own errors for a secret-bearing input (Bun 1.4.5). */
  function runtimeError(work: () => unknown): Error {
    try {
      work();
    } catch (error) {
      return error as Error;
    }
    throw new Error("expected the runtime to throw");
  }
  const spawnError = () => runtimeError(() => Bun.spawnSync(["/bin/true"], { env: { X: `${MARKER}\0` } }));
  const parseError = () => runtimeError(() => JSON.parse(`{"value":${MARKER}}`));

  test("without the guard the runtime's message carries the marker", () => {
    expect(spawnError().message).toContain(MARKER);
    expect(parseError().message).toContain(MARKER);
    expect(spawnError().stack).toContain(MARKER);
  });

  for (const [name, make] of [
    ["TypeError", spawnError],
    ["SyntaxError", parseError],
  ] as const) {
    test(`a ${name} prints its name only; --verbose prints frames, not the message`, async () => {
      const quiet = await captureStderr(() => reportError(make(), false));
      expect(quiet).toEqual({ result: 1, lines: [`error: unexpected ${name}`] });
      const verbose = await captureStderr(() => reportError(make(), true));
      expect(verbose.lines[0]).toBe(`error: unexpected ${name}`);
      expect(verbose.lines[1]).toContain("at ");
      expect(verbose.lines.join("\n")).not.toContain(MARKER);
    });
  }

  test("kpm's own errors and system errors keep their message (worded without values)", async () => {
    const own = new AgentKmsError("http", "fetch x: not found (404)");
    expect((await captureStderr(() => reportError(own, false))).lines).toEqual([
      "error: fetch x: not found (404)",
    ]);
    const system = runtimeError(() => readFileSync(join(root, "missing")));
    expect((await captureStderr(() => reportError(system, false))).lines[0]).toContain("ENOENT");
  });
});

describe("CliError", () => {
  test("a single string is one line; the default exit code is 1; message is the first line", () => {
    const single = new CliError("only");
    expect([single.lines, single.exitCode, single.message, single.name]).toEqual([
      ["only"],
      1,
      "only",
      "CliError",
    ]);
    expect(new CliError([]).message).toBe("error");
  });
});
