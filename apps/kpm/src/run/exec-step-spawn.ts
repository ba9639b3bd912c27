// The parent half of the exec step: start `kpm _exec` early with the child's stdio and process
// group, then hand it the launch over a pipe on fd 3 (never argv, never its own environment: the
// step runs with an empty one, so nothing in the child's variables can steer kpm's runtime).
import { closeDescriptor, encodeEnvironment, openPipe, sendBlock } from "@kpm/libc";
import { CliError } from "../cli/errors.ts";
import { selfCommand } from "../self.ts";
import { EXEC_STEP_COMMAND, encodeLaunch } from "./exec-step.ts";

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

/** Starts the step, or returns null when the pipe cannot be made (the caller spawns directly). */
export function startExecStep(stdio: ChildStdio, ownGroup: boolean): PendingExecStep | null {
  const pipe = openPipe();
  if (!pipe.ok) return null;
  const { read, write } = pipe.value;
  let step: Bun.Subprocess;
  try {
    step = Bun.spawn([...selfCommand(), EXEC_STEP_COMMAND, String(process.pid)], {
      env: {},
      stdio: [stdio.stdin, stdio.stdout, stdio.stderr, read],
      detached: ownGroup,
    });
  } catch {
    closeDescriptor(write);
    return null;
  } finally {
    closeDescriptor(read);
  }
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
