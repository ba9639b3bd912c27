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
