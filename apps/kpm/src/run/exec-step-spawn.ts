// The parent half of the exec step: start `kpm _exec` early with the child's stdio and process
// group, then hand it the launch over a pipe on fd 3 (never argv, never its own environment: the
// step runs with an empty one, so nothing in the child's variables can steer kpm's runtime).
import { closeDescriptor, encodeEnvironment, openPipe, sendBlock } from "@kpm/libc";
import { CliError } from "../cli/errors.ts";
import { selfCommand } from "../self.ts";
import { CONFINE_ARGUMENT, EXEC_STEP_COMMAND, encodeLaunch } from "./exec-step.ts";

export type ChildStdio = { stdin: "inherit"; stdout: "inherit" | "pipe"; stderr: "inherit" | "pipe" };

/** A started step waiting for its launch; exactly one of launch() or cancel() takes effect. */
export interface PendingExecStep {
  stdio: ChildStdio;
  ownGroup: boolean;
  /** Hands over the program; the returned process becomes it (same pid). */
  launch(executable: string, argv: string[], env: Record<string, string | undefined>): Bun.Subprocess;
  /** Ends the step without a launch and reaps it (kpm failed, or starts the child directly). */
  cancel(): Promise<void>;
}

/**
 * Starts the step, or returns null when a pipe cannot be made (the caller spawns directly). With
 * `rules` (encodeRules), the step confines itself with them before it takes the launch.
 */
export function startExecStep(
  stdio: ChildStdio,
  ownGroup: boolean,
  rules?: Uint8Array,
): PendingExecStep | null {
  const pipe = openPipe();
  if (!pipe.ok) return null;
  const { read, write } = pipe.value;
  const rulesPipe = rules ? openPipe() : null;
  if (rulesPipe && !rulesPipe.ok) {
    closeDescriptor(read);
    closeDescriptor(write);
    return null;
  }
  const rulesFds = rulesPipe?.ok ? rulesPipe.value : null;
  let step: Bun.Subprocess;
  try {
    const confine = rulesFds ? [CONFINE_ARGUMENT] : [];
    step = Bun.spawn([...selfCommand(), EXEC_STEP_COMMAND, String(process.pid), ...confine], {
      env: {},
      stdio: [stdio.stdin, stdio.stdout, stdio.stderr, read, ...(rulesFds ? [rulesFds.read] : [])],
      detached: ownGroup,
    });
  } catch {
    closeDescriptor(write);
    if (rulesFds) closeDescriptor(rulesFds.write);
    return null;
  } finally {
    closeDescriptor(read);
    if (rulesFds) closeDescriptor(rulesFds.read);
  }
  // The step restricts itself while kpm fetches the secrets.
  if (rulesFds && rules) sendBlock(rulesFds.write, rules);
  let settled = false;
  return {
    stdio,
    ownGroup,
    launch(executable, argv, env) {
      settled = true;
      const encoded = encodeEnvironment(env);
      if (!encoded.ok) {
        closeDescriptor(write);
        step.kill("SIGKILL");
        throw new CliError(
          `error: run ${argv[0]}: environment variable ${encoded.variable} contains a NUL byte`,
          126,
        );
      }
      const launch = encodeLaunch(executable, argv, encoded.block);
      encoded.block.fill(0);
      // Blocks only while the step drains a launch larger than the pipe; a step that gets less
      // says so and exits 126, which kpm mirrors.
      sendBlock(write, launch);
      launch.fill(0);
      return step;
    },
    async cancel() {
      if (settled) return;
      settled = true;
      closeDescriptor(write);
      step.kill("SIGKILL");
      await step.exited;
    },
  };
}
