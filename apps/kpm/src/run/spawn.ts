// Spawning `kpm run`'s child (§8.2 "Spawning", §10): PATH lookup with 126/127, signal forwarding
// installed before spawn, optional output masking, and the child's exit status mirrored. On
// Linux a child that receives secrets starts through the exec step (exec-step.ts), so it cannot
// outlive kpm even when kpm is killed with SIGKILL.
import { importBuiltin } from "@kpm/deferred";
import { restrictSelf } from "@kpm/libc";
import { CliError } from "../cli/errors.ts";
import { isatty } from "../cli/io.ts";
import type { KpmContext } from "../context.ts";
import { canUseExecStep } from "../process-hardening.ts";
import type { Confinement } from "./confinement.ts";
import { type ChildStdio, type PendingExecStep, startExecStep } from "./exec-step-spawn.ts";
import type { ChildPlan } from "./plan.ts";
import { setprivArgv, setprivPath } from "./setpriv-launch.ts";

/** Forwarded to the child (SIGINT/SIGQUIT/SIGWINCH not when a terminal already sent them). */
const FORWARDED = ["SIGINT", "SIGTERM", "SIGHUP", "SIGQUIT"] as const;
/** POSIX only (Windows has no such signals to catch). */
const FORWARDED_POSIX = ["SIGUSR1", "SIGUSR2", "SIGWINCH"] as const;
/** Job control, forwarded only when the child has its own process group (no terminal). */
const JOB_CONTROL = ["SIGTSTP", "SIGCONT"] as const;
type Forwarded = (typeof FORWARDED)[number] | (typeof FORWARDED_POSIX)[number] | (typeof JOB_CONTROL)[number];

type MaskMode = "auto" | "force" | "off";

export interface SpawnRequest {
  command: string;
  args: string[];
  plan: ChildPlan;
  mask: MaskMode;
  /** From prestartChild: used when the plan holds secrets, cancelled otherwise. */
  step?: PendingExecStep | null;
  /**
   * --secure: Landlock is applied by the exec step when there is one, else by kpm to its own
   * spawning thread just before the spawn (a child inherits it); sandbox-exec wraps the spawn.
   */
  confinement?: Confinement;
}

interface ChildIo {
  stdinTty: boolean;
  maskOut: boolean;
  maskErr: boolean;
  /** Without any terminal the child gets its own process group, and signals go to the group. */
  ownGroup: boolean;
  stdio: ChildStdio;
}

/** Terminals, masking and stdio of the child: one rule for the early exec step and the spawn. */
function childIo(mask: MaskMode, hasSecrets: boolean): ChildIo {
  const stdinTty = isatty(0);
  const stdoutTty = isatty(1);
  const stderrTty = isatty(2);
  const wantMask = (tty: boolean) => mask === "force" || (mask === "auto" && !tty);
  const maskable = mask !== "off" && hasSecrets;
  const maskOut = maskable && wantMask(stdoutTty);
  const maskErr = maskable && wantMask(stderrTty);
  const stdio = {
    stdin: "inherit",
    stdout: maskOut ? "pipe" : "inherit",
    stderr: maskErr ? "pipe" : "inherit",
  } as const;
  return { stdinTty, maskOut, maskErr, ownGroup: !stdinTty && !stdoutTty && !stderrTty, stdio };
}

/**
 * Starts the exec step (Linux) for a child that will receive secrets, before kpm fetches or
 * decrypts them: the step's process start (one Bun runtime) overlaps that wait. Null where the
 * step is unavailable; the child is then spawned directly.
 */
export function prestartChild(
  ctx: KpmContext,
  mask: MaskMode,
  confinement?: Confinement,
): PendingExecStep | null {
  if (confinement?.kind === "landlock" && canUseExecStep(ctx.env) && setprivPath(ctx.env) === null) {
    // No setpriv: the step ties the child to kpm and confines itself while kpm fetches.
    const io = childIo(mask, true);
    return startExecStep(io.stdio, io.ownGroup, confinement.encoded);
  }
  // With setpriv at hand the child is tied to kpm at spawn time, for ~1 ms: no step to start.
  if (!canUseExecStep(ctx.env) || setprivPath(ctx.env) !== null) return null;
  const io = childIo(mask, true);
  return startExecStep(io.stdio, io.ownGroup);
}

// Node builtins are imported where needed (importBuiltin), never with require(): its first call
// in a process sets up the CommonJS loader (~0.45M instructions, ~0.25 ms).
async function resolveExecutable(command: string, pathVariable: string | undefined): Promise<string> {
  if (command.includes("/")) {
    // node:fs only for a command given as a path: a PATH lookup does not need it.
    const { accessSync, constants: fsConstants, statSync } = await importBuiltin("node:fs");
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
  const { constants } = await importBuiltin("node:os");
  return (constants.signals as Record<string, number>)[signal] ?? 0;
}

/**
 * Landlock on kpm's own main thread, which Bun.spawn forks from: the child (setpriv, or the tool)
 * starts inside the domain. kpm needs none of the denied files any more (secrets fetched, audit
 * written); its other threads stay outside, and the child never descends from them.
 */
function confineSpawningThread(
  confinement: Extract<Confinement, { kind: "landlock" }>,
  command: string,
): void {
  const restricted = restrictSelf(confinement.abi, confinement.plan.rules);
  if (!restricted.ok)
    throw new CliError(`error: run ${command}: cannot confine the command: ${restricted.reason}`, 126);
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
  // A child that ends up with no secret (all unset, or defaults) is spawned directly.
  const confined = request.confinement?.kind === "landlock";
  const step = plan.secrets.length > 0 || confined ? (request.step ?? null) : null;
  if (!step) await request.step?.cancel();
  let executable: string;
  try {
    executable = plan.executable ?? (await resolveExecutable(request.command, plan.env.PATH));
  } catch (error) {
    await step?.cancel();
    throw error;
  }
  // The step's stdio was chosen as for a child with secrets: a confined one without any keeps it.
  const { stdinTty, maskOut, maskErr, ownGroup, stdio } = childIo(
    request.mask,
    plan.secrets.length > 0 || step !== null,
  );
  ctx.log.debug(`✓ Output masking: stdout ${maskOut ? "on" : "off"}, stderr ${maskErr ? "on" : "off"}`);

  // Handlers exist before the child does (§18.26): a signal in between is held, then forwarded.
  let child: ReturnType<typeof Bun.spawn> | undefined;
  const pending: Forwarded[] = [];
  const forward = (signal: Forwarded) => {
    if (!child) {
      pending.push(signal);
      return;
    }
    // On a terminal the foreground group already got SIGINT/SIGQUIT from the tty driver, and
    // SIGWINCH too: the child shares kpm's group there.
    if (stdinTty && !ownGroup && (signal === "SIGINT" || signal === "SIGQUIT")) return;
    if (!ownGroup && signal === "SIGWINCH") return;
    // The child's own group is orphaned (its session holds no parent of it), and Linux discards
    // SIGTSTP sent to an orphaned group: it is stopped with SIGSTOP instead.
    const sent = signal === "SIGTSTP" ? "SIGSTOP" : signal;
    try {
      if (ownGroup) process.kill(-child.pid, sent);
      else child.kill(sent);
    } catch {
      // the child is already gone
    }
    // SIGTSTP's default action, which the handler replaced: stop kpm too, as its shell expects.
    if (signal === "SIGTSTP") process.kill(process.pid, "SIGSTOP");
  };
  // Without a terminal the child is in its own group, out of reach of kpm's job control: kpm
  // passes SIGTSTP and SIGCONT on. On a terminal they keep their default effect on the group.
  const handled: Forwarded[] =
    process.platform === "win32"
      ? [...FORWARDED]
      : [...FORWARDED, ...FORWARDED_POSIX, ...(ownGroup ? JOB_CONTROL : [])];
  const handlers = handled.map((signal) => {
    const handler = () => forward(signal);
    process.on(signal, handler);
    return [signal, handler] as const;
  });

  // A child that holds secrets must not outlive kpm: setpriv's parent-death signal where setpriv
  // exists, else the exec step started earlier; a direct spawn only where neither can be had.
  const setpriv = !step && plan.secrets.length > 0 && canUseExecStep(ctx.env) ? setprivPath(ctx.env) : null;
  try {
    if (!step && request.confinement?.kind === "landlock")
      confineSpawningThread(request.confinement, request.command);
    if (step) child = step.launch(executable, [request.command, ...request.args], plan.env);
    else if (request.confinement?.kind === "sandbox-exec") {
      const { path, profile } = request.confinement;
      child = Bun.spawn([path, "-p", profile, executable, ...request.args], {
        env: plan.env,
        ...stdio,
        detached: ownGroup,
      });
    } else if (setpriv) {
      child = Bun.spawn(setprivArgv(setpriv, plan.executable ?? request.command, request.args), {
        env: plan.env,
        ...stdio,
        detached: ownGroup,
      });
    } else {
      child = Bun.spawn([executable, ...request.args], {
        argv0: request.command,
        env: plan.env,
        ...stdio,
        detached: ownGroup,
      });
    }
  } catch (error) {
    for (const [signal, handler] of handlers) process.off(signal, handler);
    const code = (error as NodeJS.ErrnoException).code;
    if (code === "EACCES") throw new CliError(`error: run ${request.command}: permission denied`, 126);
    if (code === "ENOENT")
      throw new CliError(`error: run ${request.command}: executable file not found in $PATH`, 127);
    if (error instanceof CliError) throw error;
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
