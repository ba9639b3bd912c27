// `kpm _exec <parent pid>` (hidden, Linux): the step between `kpm run` and its child. It asks the
// kernel for SIGKILL when kpm dies (PR_SET_PDEATHSIG; Bun has no hook between fork and exec),
// then waits on fd 3 for the launch: the program, its argv and its environment. It restores what
// a fresh spawn would have (signal dispositions, mask, no inherited descriptors) and execve()s
// the program in place: same pid, stdio and process group. kpm starts it while it still fetches
// the secrets, so the step's start overlaps that wait. With `--confine` it first reads Landlock
// rules on fd 4 and restricts itself (so the program and its children) before the launch arrives.
import { decodeRules } from "@kpm/confine/transfer";
import {
  execute,
  ignoredSignals,
  prepareForExec,
  receiveBlock,
  restrictSelf,
  setDumpable,
  setParentDeathSignal,
} from "@kpm/libc";

export const EXEC_STEP_COMMAND = "_exec";
/** Where the step reads the launch: the first descriptor after stdio. */
export const LAUNCH_FD = 3;
/** Where the step reads the confinement rules when started with CONFINE_ARGUMENT. */
export const RULES_FD = 4;
export const CONFINE_ARGUMENT = "--confine";
const SIGKILL = 9;
const ENOENT = 2;
const EACCES = 13;
const ENOEXEC = 8;

const encoder = new TextEncoder();

/**
 * The launch as bytes: "<argc>\0<env bytes>\0<path>\0<argv…>\0" then the environment block
 * (encodeEnvironment's "NAME=value\0…"). Counts first, so the step can tell a cut-off launch.
 */
export function encodeLaunch(path: string, argv: string[], environment: Uint8Array): Uint8Array {
  const head = encoder.encode(
    [String(argv.length), String(environment.length), path, ...argv, ""].join("\0"),
  );
  const launch = new Uint8Array(head.length + environment.length);
  launch.set(head, 0);
  launch.set(environment, head.length);
  return launch;
}

interface Launch {
  path: string;
  argv: string[];
  environment: Uint8Array;
}

export function decodeLaunch(bytes: Uint8Array): Launch | null {
  const fields: string[] = [];
  let start = 0;
  const decoder = new TextDecoder();
  const next = (): string | null => {
    const end = bytes.indexOf(0, start);
    if (end < 0) return null;
    const field = decoder.decode(bytes.subarray(start, end));
    start = end + 1;
    return field;
  };
  const argc = Number(next());
  const environmentBytes = Number(next());
  if (!Number.isInteger(argc) || argc < 1 || !Number.isInteger(environmentBytes)) return null;
  for (let index = 0; index <= argc; index++) {
    const field = next();
    if (field === null) return null;
    fields.push(field);
  }
  const [path = "", ...argv] = fields;
  const environment = bytes.subarray(start);
  return environment.length === environmentBytes ? { path, argv, environment } : null;
}

/** Runs the step; returns only when it fails (with the exit code `kpm run` then mirrors). */
export async function runExecStep(args: string[]): Promise<number> {
  const parent = Number(args[0]);
  const confine = args[1] === CONFINE_ARGUMENT;
  if (args.length !== (confine ? 2 : 1) || !Number.isInteger(parent) || parent <= 0)
    return fail("kpm _exec: internal command of kpm run; not for direct use", 2);

  // First, so that kpm dying at any later point takes this process (and then the tool) with it.
  const death = setParentDeathSignal(SIGKILL, parent);
  if (!death.ok) return fail(`error: run: ${death.reason}`, 126);
  setDumpable(false);
  if (confine) {
    const confined = confineSelf();
    if (!confined.ok) return fail(`error: run: cannot confine the command: ${confined.reason}`, 126);
  }

  const received = receiveBlock(LAUNCH_FD);
  const bytes = received.ok ? received.value : new Uint8Array(0);
  // kpm closes the pipe without a launch when it starts the child itself after all.
  if (received.ok && bytes.length === 0) return 0;
  const launch = decodeLaunch(bytes);
  if (!launch) {
    bytes.fill(0);
    return fail("error: run: the command to run did not arrive from kpm", 126);
  }
  const command = launch.argv[0] ?? launch.path;
  const ignored = ignoredSignals();
  const prepared = prepareForExec(ignored.ok ? ignored.value : []);
  if (!prepared.ok) return fail(`error: run ${command}: ${prepared.reason}`, 126);

  const failure = execute(launch.path, launch.argv, launch.environment);
  bytes.fill(0);
  if (failure.errno === ENOENT) return fail(`error: run ${command}: executable file not found in $PATH`, 127);
  if (failure.errno === EACCES) return fail(`error: run ${command}: permission denied`, 126);
  if (failure.errno === ENOEXEC) return fail(`error: run ${command}: exec format error`, 126);
  return fail(`error: run ${command}: ${failure.reason}`, 126);
}

/** Landlock from the rules on RULES_FD: no_new_privs, ruleset, restrict_self. */
function confineSelf(): { ok: true } | { ok: false; reason: string } {
  const received = receiveBlock(RULES_FD);
  if (!received.ok) return received;
  const transfer = decodeRules(received.value);
  if (!transfer) return { ok: false, reason: "the confinement rules did not arrive from kpm" };
  const restricted = restrictSelf(transfer.abi, transfer.rules);
  return restricted.ok ? { ok: true } : restricted;
}

async function fail(message: string, code: number): Promise<number> {
  const { stderrLine } = await import("../cli/io.ts");
  stderrLine(message);
  return code;
}
