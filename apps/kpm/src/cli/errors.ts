// The CLI's own error: the lines to print on stderr and the exit code (spec §3.6, §3.7).

export class CliError extends Error {
  override readonly name = "CliError";
  readonly lines: string[];
  constructor(
    lines: string | string[],
    readonly exitCode = 1,
  ) {
    const all = typeof lines === "string" ? [lines] : lines;
    super(all[0] ?? "error");
    this.lines = all;
  }
}

/**
 * A command line kpm cannot act on — a missing argument, conflicting flags, a value outside a
 * fixed set of choices: exit 2, the line that says what is wrong and at most one hint line.
 * Without a hint of its own the dispatcher adds `Run 'kpm <command> --help' for usage.`
 */
export class UsageError extends CliError {
  constructor(
    message: string,
    readonly hint?: string,
  ) {
    super(hint === undefined ? [message] : [message, hint], 2);
  }
}
