// Classifies one template line (spec §5.1 rules 1–4) before any profile expansion, so a
// plain value can never turn into a reference through a profile value.

import { TemplateError } from "./error.ts";

export type ParsedLine =
  | { kind: "skip" }
  /** `text` is the directive (`${kms:include/…}`), not yet profile-expanded. */
  | { kind: "include"; text: string }
  | { kind: "plain"; key: string; value: string }
  /** `text` is the reference, not yet profile-expanded. */
  | { kind: "kms"; key: string; text: string };

const includePrefix = "${kms:include/";
const referencePrefix = "${kms:";
const variableName = /^[A-Za-z_][A-Za-z0-9_]*$/;
const exportPrefix = /^export\s+/;

export function parseLine(raw: string, file: string, line: number): ParsedLine {
  const text = raw.trim();
  if (text === "" || text.startsWith("#")) return { kind: "skip" };
  if (text.startsWith(includePrefix)) return { kind: "include", text };

  const equals = text.indexOf("=");
  if (equals === -1) {
    throw new TemplateError(
      "parse",
      `${file}:${line}: no '=' found (expected KEY=VALUE, a comment, or an include directive)`,
    );
  }
  const value = unquote(text.slice(equals + 1).trim());
  // `KEY=${kms:include/…}` is a directive too; its key is ignored, so it is not validated.
  if (value.startsWith(includePrefix)) return { kind: "include", text: value };

  const key = text.slice(0, equals).trim().replace(exportPrefix, "");
  if (key === "") throw new TemplateError("parse", `${file}:${line}: empty variable name`);
  if (!variableName.test(key))
    throw new TemplateError("parse", `${file}:${line}: invalid variable name "${key}"`);

  if (value.startsWith(referencePrefix)) return { kind: "kms", key, text: value };
  if (value.includes(referencePrefix)) {
    throw new TemplateError(
      "parse",
      `${file}:${line}: "${key}": a \${kms:…} reference must be the entire value`,
    );
  }
  return { kind: "plain", key, value };
}

/** Removes one pair of matching quotes around a value of at least 2 characters. */
export function unquote(value: string): string {
  if (value.length < 2) return value;
  const first = value[0];
  if ((first === '"' || first === "'") && value.endsWith(first)) return value.slice(1, -1);
  return value;
}
