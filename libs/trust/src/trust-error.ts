// The one error class of @kpm/trust; messages are complete `kpm: …` lines the CLI prints as is.
import { CodedError } from "@kpm/coded-error";

export type TrustErrorCode = "corrupt" | "unsafe" | "io";

export class TrustError extends CodedError<TrustErrorCode> {
  override readonly name = "TrustError";
}
