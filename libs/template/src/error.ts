// The one error class of @kpm/template. `message` is the exact spec text without the CLI's
// "error parsing template: " prefix; it never quotes a template line (it may be a pasted secret).
import { CodedError } from "@kpm/coded-error";

export type TemplateErrorCode = "parse" | "include" | "profile" | "io" | "config" | "untrusted";

export class TemplateError extends CodedError<TemplateErrorCode> {
  override readonly name = "TemplateError";
}
