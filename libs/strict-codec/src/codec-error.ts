// The one error class of @kpm/strict-codec. Messages are the exact spec texts (§7.2) and
// never contain the blob or plaintext, only lengths.
import { CodedError } from "@kpm/coded-error";

export type CodecErrorCode = "invalid_blob" | "invalid_strict_blob" | "decrypt_failed" | "invalid_ref";

export class CodecError extends CodedError<CodecErrorCode> {
  override readonly name = "CodecError";
}
