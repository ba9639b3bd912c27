// Which shell a `kpm env` listener belongs to, and whether this output needs one at all
// (docs/sessions.md): listeners exit with their shell, and a reload in that shell replaces them.
import { describeOwner, detectOwnerShell, isOwnerAlive } from "@kpm/session";
import { CliError } from "./cli/errors.ts";
import { isatty } from "./cli/io.ts";
import type { OutputFormat } from "./env-output.ts";
import type { Ownership } from "./sessions.ts";

export interface ListenerFlags {
  command: string;
  format: OutputFormat;
  listener: boolean;
  shellPid: string | undefined;
}

/**
 * Refuses dotenv/json ciphertext written to a file or pipe without --listener: nothing would
 * decrypt it, and a listener started for every `kpm env > file` would pile up. Shell output is
 * always eval'd by a shell, and a terminal is the shell the user is typing in.
 */
export function checkListenerWanted(flags: ListenerFlags): void {
  if (flags.format === "shell" || flags.listener || isatty(1)) return;
  throw new CliError(
    [
      `kpm ${flags.command}: --output ${flags.format} prints ciphertext that only a session listener decrypts`,
      `tip: add --listener (it stops when this shell exits), or use --plaintext, or eval "$(kpm ${flags.command} --output shell)"`,
    ],
    2,
  );
}

/** The owner shell: --shell-pid when given (it must be running), else the detected shell. */
export function listenerOwnership(flags: ListenerFlags): Ownership {
  const replaceable = !flags.listener;
  if (flags.shellPid === undefined) return { owner: describeOwner(detectOwnerShell()), replaceable };
  const pid = /^[1-9][0-9]{0,9}$/.test(flags.shellPid) ? Number(flags.shellPid) : 0;
  const owner = pid > 0 ? describeOwner(pid) : null;
  if (owner === null || !isOwnerAlive(owner)) {
    throw new CliError(`kpm ${flags.command}: --shell-pid ${flags.shellPid}: no such process`, 2);
  }
  return { owner, replaceable };
}
