// The one error class of @kpm/agentkms-dev: a stable `code` for programs, a human `message` for people.
// Messages never contain secret values, keys or tokens.
import { describeFsError, errorCode } from "@kpm/bounded-read/error";

/** Every code a DevError carries: the CLI words each one (apps/kpm/src/cli/lib-errors.ts). */
export type DevErrorCode =
  | "pki_exists"
  | "no_pki"
  | "ca_expiring"
  | "invalid_cn"
  | "store_corrupt"
  | "store_locked"
  | "not_found"
  | "invalid_path"
  | "invalid_fields"
  | "invalid_value"
  | "policy"
  | "io"
  | "listen"
  | "addr_in_use";

export class DevError extends Error {
  override readonly name = "DevError";
  readonly code: DevErrorCode;

  constructor(code: DevErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
  }
}

/**
 * Wraps a filesystem or crypto failure with the operation that failed, as `<operation>: <reason>`:
 * a system error in kpm's one fs-error wording ("permission denied"), anything else by its message.
 */
export function ioError(operation: string, error: unknown): DevError {
  if (error instanceof DevError) return error;
  const isSystemError = /^E[A-Z0-9]+$/.test(errorCode(error) ?? "");
  const reason = isSystemError
    ? describeFsError(error)
    : error instanceof Error
      ? error.message
      : String(error);
  return new DevError("io", `${operation}: ${reason}`, { cause: error });
}

/** The `code` of a Node system error (ENOENT, EEXIST, …), if any. */
export { errorCode as systemErrorCode } from "@kpm/bounded-read/error";
