// The one error class of @kpm/agentkms-dev: a stable `code` for programs, a human `message` for people.
// Messages never contain secret values, keys or tokens.

/**
 * Codes used by the PKI and store: "pki_exists", "no_pki", "ca_expiring", "store_corrupt",
 * "store_locked", "not_found", "invalid_path", "io". The server adds its own (e.g. "addr_in_use").
 */
export type DevErrorCode = string;

export class DevError extends Error {
  override readonly name = "DevError";
  readonly code: DevErrorCode;

  constructor(code: DevErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
  }
}
