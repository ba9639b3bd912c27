// The one error class of @kpm/allowlist; messages are the exact §9.1 texts the CLI prints.
import { CodedError } from "@kpm/coded-error";

export type AllowlistErrorCode = "not_found" | "parse" | "untrusted" | "audit_log";

export class AllowlistError extends CodedError<AllowlistErrorCode> {
  override readonly name = "AllowlistError";
}

/** `kpm: parse secure-allowlist.yaml: <where>: <problem>`, where = `<path>:<line>` or `<path>`. */
export function parseError(where: string, problem: string): AllowlistError {
  return new AllowlistError("parse", `kpm: parse secure-allowlist.yaml: ${where}: ${problem}`);
}
