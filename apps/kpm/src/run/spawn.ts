// Spawning `kpm run`'s child (§8.2 "Spawning", §10): PATH lookup with 126/127, signal forwarding
// installed before spawn, optional output masking, and the child's exit status mirrored.
import { CliError } from "../cli/errors.ts";
import { isatty } from "../cli/io.ts";
import type { KpmContext } from "../context.ts";
import type { ChildPlan } from "./plan.ts";

const FORWARDED = ["SIGINT", "SIGTERM", "SIGHUP", "SIGQUIT"] as const;
type Forwarded = (typeof FORWARDED)[number];

export interface SpawnRequest {
  command: string;
  args: string[];
  plan: ChildPlan;
  mask: "auto" | "force" | "off";
}

// Node builtins are imported where needed, and never with require(): its first call in a process
// sets up the CommonJS loader (~0.45M instructions, ~0.25 ms).
async function resolveExecutable(command: string, pathVariable: string | undefined): Promise<string> {
  if (command.includes("/")) {
    // node:fs only for a command given as a path: a PATH lookup does not need it.
    const { accessSync, constants: fsConstants, statSync } = await import("node:fs");
    let isFile = false;
    try {
      isFile = statSync(command).isFile();
    } catch {
      throw new CliError(`error: run ${command}: executable file not found in $PATH`, 127);
    }
    try {
      if (!isFile) throw new Error("not a file");
      accessSync(command, fsConstants.X_OK);
    } catch {
      throw new CliError(`error: run ${command}: permission denied`, 126);
    }
    return command;
  }
  const found = Bun.which(command, { PATH: pathVariable ?? "" });
  if (!found) throw new CliError(`error: run ${command}: executable file not found in $PATH`, 127);
  return found;
}

async function signalNumber(signal: string | number | null | undefined): Promise<number> {
  if (typeof signal === "number") return signal;
  if (!signal) return 0;
  // node:os only for a child killed by a signal: loading it costs ~0.4 ms of every run.
  const { constants } = await import("node:os");
  return (constants.signals as Record<string, number>)[signal] ?? 0;
}

/** A value-free reason for a spawn that failed with `code`. */
export function spawnFailure(code: string | undefined): string {
  if (code === "E2BIG") return "argument list too long (E2BIG)";
  return /^[A-Z][A-Z0-9_]*$/.test(code ?? "")
    ? `cannot start the command (${code})`
    : "cannot start the command";
}

export async function spawnChild(ctx: KpmContext, request: SpawnRequest): Promise<number> {
  const { plan } = request;
  const executable = await resolveExecutable(request.command, plan.env.PATH);
  const stdinTty = isatty(0);
  const stdoutTty = isatty(1);
  const stderrTty = isatty(2);
  const wantMask = (tty: boolean) => request.mask === "force" || (request.mask === "auto" && !tty);
  const maskable = request.mask !== "off" && plan.secrets.length > 0;
  const maskOut = maskable && wantMask(stdoutTty);
  const maskErr = maskable && wantMask(stderrTty);
  ctx.log.debug(`✓ Output masking: stdout ${maskOut ? "on" : "off"}, stderr ${maskErr ? "on" : "off"}`);
  // Without any terminal the child gets its own process group, and signals go to the group.
  const ownGroup = !stdinTty && !stdoutTty && !stderrTty;

  // Handlers exist before the child does (§18.26): a signal in between is held, then forwarded.
  let child: ReturnType<typeof Bun.spawn> | undefined;
  const pending: Forwarded[] = [];
  const forward = (signal: Forwarded) => {
    if (!child) {
      pending.push(signal);
      return;
    }
    // On a terminal the foreground group already got SIGINT/SIGQUIT from the tty driver.
    if (stdinTty && !ownGroup && (signal === "SIGINT" || signal === "SIGQUIT")) return;
    try {
      if (ownGroup) process.kill(-child.pid, signal);
      else child.kill(signal);
    } catch {
      // the child is already gone
    }
  };
  const handlers = FORWARDED.map((signal) => {
    const handler = () => forward(signal);
    process.on(signal, handler);
    return [signal, handler] as const;
  });

  try {
    child = Bun.spawn([executable, ...request.args], {
      argv0: request.command,
      env: plan.env,
      stdin: "inherit",
      stdout: maskOut ? "pipe" : "inherit",
      stderr: maskErr ? "pipe" : "inherit",
      detached: ownGroup,
    });
  } catch (error) {
    for (const [signal, handler] of handlers) process.off(signal, handler);
    const code = (error as NodeJS.ErrnoException).code;
    if (code === "EACCES") throw new CliError(`error: run ${request.command}: permission denied`, 126);
    if (code === "ENOENT")
      throw new CliError(`error: run ${request.command}: executable file not found in $PATH`, 127);
    // Bun's message can quote an argument or an environment value (a NUL byte gives
    // ERR_INVALID_ARG_VALUE with the whole value), so only a fixed text and the code are shown.
    throw new CliError(`error: run ${request.command}: ${spawnFailure(code)}`, 126);
  }
  for (const signal of pending.splice(0)) forward(signal);

  const pumps: Promise<void>[] = [];
  if (maskOut || maskErr) {
    // The masker and its needles are loaded with the first byte of output: a silent child (and
    // `true` in the benchmark) costs neither. Secrets shorter than the minimum give no needles,
    // and the masker then passes everything through.
    let masker: Promise<typeof import("@kpm/masker")> | undefined;
    const loadMasker = () => {
      masker ??= import("@kpm/masker");
      return masker;
    };
    let needles: Uint8Array[] | undefined;
    const pump = async (stream: ReadableStream<Uint8Array>, open: () => Bun.FileSink) => {
      const reader = stream.getReader();
      const first = await reader.read();
      if (first.done) return;
      const { buildNeedles, pipeMasked } = await loadMasker();
      needles ??= buildNeedles(plan.secrets);
      const sink = open();
      async function* chunks(): AsyncGenerator<Uint8Array> {
        yield first.value as Uint8Array;
        for (;;) {
          const next = await reader.read();
          if (next.done) return;
          yield next.value;
        }
      }
      await pipeMasked(
        chunks(),
        async (bytes) => {
          // Never a zero-byte write: it truncates a file that stdout appends to.
          if (bytes.length === 0) return;
          sink.write(bytes);
          await sink.flush();
        },
        needles,
      );
      await sink.flush();
    };
    if (maskOut) pumps.push(pump(child.stdout as ReadableStream<Uint8Array>, () => Bun.stdout.writer()));
    if (maskErr) pumps.push(pump(child.stderr as ReadableStream<Uint8Array>, () => Bun.stderr.writer()));
  }

  const exitCode = await child.exited;
  await Promise.all(pumps);
  for (const [signal, handler] of handlers) process.off(signal, handler);
  if (child.signalCode) return 128 + (await signalNumber(child.signalCode));
  return exitCode;
}
