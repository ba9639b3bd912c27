// The one error class of @kpm/template. `message` is the exact spec text without the CLI's
// "error parsing template: " prefix; it never quotes a template line (it may be a pasted secret).

export type TemplateErrorCode = "parse" | "include" | "profile" | "io" | "config" | "untrusted";

export class TemplateError extends Error {
  override readonly name = "TemplateError";
  readonly code: TemplateErrorCode;

  constructor(code: TemplateErrorCode, message: string) {
    super(message);
    this.code = code;
  }
}
