// What makes an entry's reference or an include directive invalid, worded once: loading a
// template and summarising it for `kpm tree` report the same errors.
import { TemplateError } from "./error.ts";
import { isValidIncludePath } from "./include.ts";
import { type KmsRef, validateReferencePath } from "./reference.ts";

/** `ref` (the parse of entry `key`'s value) when it is a valid reference; else the parse error. */
export function checkEntryReference(ref: KmsRef | null, key: string, file: string, line: number): KmsRef {
  if (ref === null) {
    throw new TemplateError(
      "parse",
      `${file}:${line}: invalid reference in "${key}": expected \${kms:<type>/<path>[#key][:-default]}`,
    );
  }
  const reason = validateReferencePath(ref.path);
  if (reason !== null)
    throw new TemplateError("parse", `${file}:${line}: invalid reference path "${ref.path}": ${reason}`);
  return ref;
}

/** `ref` (the parse of an include directive) when it is `${kms:include/<path>}` with a valid path. */
export function checkIncludeDirective(ref: KmsRef | null, file: string, line: number): KmsRef {
  if (ref === null || ref.type !== "include" || ref.key !== undefined || ref.default !== undefined) {
    throw new TemplateError(
      "include",
      `${file}:${line}: invalid include directive: expected \${kms:include/<path>}`,
    );
  }
  if (!isValidIncludePath(ref.path)) {
    throw new TemplateError("include", `${file}:${line}: invalid include path "${ref.path}"`);
  }
  return ref;
}
