// The one error class of @kpm/allowlist; messages are the exact §9.1 texts the CLI prints.

export type AllowlistErrorCode = "not_found" | "parse" | "untrusted";

export class AllowlistError extends Error {
  override readonly name = "AllowlistError";
  readonly code: AllowlistErrorCode;

  constructor(code: AllowlistErrorCode, message: string) {
    super(message);
    this.code = code;
  }
}

/** `kpm: parse secure-allowlist.yaml: <where>: <problem>`, where = `<path>:<line>` or `<path>`. */
export function parseError(where: string, problem: string): AllowlistError {
  return new AllowlistError("parse", `kpm: parse secure-allowlist.yaml: ${where}: ${problem}`);
}
