// The base of each library's one error class: a stable `code` the CLI branches on and a human
// `message` it prints. A subclass adds only its `name` (and its own helpers); the wording of the
// message, and keeping secrets out of it, stay with the library that throws.

export class CodedError<Code extends string> extends Error {
  readonly code: Code;

  constructor(code: Code, message: string) {
    super(message);
    this.code = code;
  }
}
