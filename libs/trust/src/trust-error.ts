// The one error class of @kpm/trust; messages are complete `kpm: …` lines the CLI prints as is.

export type TrustErrorCode = "corrupt" | "unsafe" | "io";

export class TrustError extends Error {
  override readonly name = "TrustError";
  readonly code: TrustErrorCode;

  constructor(code: TrustErrorCode, message: string) {
    super(message);
    this.code = code;
  }
}
