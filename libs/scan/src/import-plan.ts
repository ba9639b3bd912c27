// The plan of `kpm import`: which dotenv assignments hold secrets (by name or by value), the
// registry path each moves to, and the template text with `${kms:…}` references in their place.
import { detect } from "@kpm/secret-detect";
import { detectInText } from "./detectors.ts";
import { type DotenvLine, parseDotenv } from "./dotenv.ts";

export interface ImportEntry {
  /** The variable name and the registry path its value moves to (service/name). */
  name: string;
  path: string;
  /** Why it counts as a secret (a rule id, never the value). */
  rule: string;
  /** The value to store: held in memory only, never printed. */
  value: string;
}

export interface ImportPlan {
  secrets: ImportEntry[];
  /** Assignments left as they are (ports, hosts, flags, references already in place). */
  kept: string[];
  /** The file with each secret's value replaced by its reference. */
  template: string;
}

const REFERENCE = /^\$\{kms:[^}]*\}$/;

/** `my App` → `my-app`; the service part of a path that `kpm add` would accept. */
export function serviceName(text: string): string {
  return text
    .toLowerCase()
    .replace(/[^a-z0-9-]+/g, "-")
    .replace(/^-+|-+$/g, "");
}

/** `OPENAI_API_KEY` → `openai-api-key`. */
export function secretName(variable: string): string {
  return variable
    .toLowerCase()
    .replace(/[^a-z0-9-]+/g, "-")
    .replace(/^-+|-+$/g, "");
}

/**
 * `onlyLines` (1-based, from a scan report) limits the import to those lines; without it every
 * assignment is classified.
 */
export async function planImport(
  text: string,
  service: string,
  onlyLines?: Set<number>,
): Promise<ImportPlan> {
  const lines = parseDotenv(text);
  const secrets: ImportEntry[] = [];
  const kept: string[] = [];
  const out: string[] = [];
  for (const [index, line] of lines.entries()) {
    if (line.kind === "other") {
      out.push(line.raw);
      continue;
    }
    const rule = onlyLines && !onlyLines.has(index + 1) ? null : await classify(line);
    // A template has no inline comments (a "#" is part of the value): the comment moves above.
    const hasComment = line.raw.slice(line.withoutComment.length).includes("#");
    if (hasComment) out.push(`#${line.comment ? ` ${line.comment}` : ""}`);
    if (rule === null) {
      kept.push(line.name);
      out.push(hasComment ? line.withoutComment : line.raw);
      continue;
    }
    const path = `${service}/${secretName(line.name)}`;
    secrets.push({ name: line.name, path, rule, value: line.value });
    const exported = /^\s*export\s/.test(line.raw) ? "export " : "";
    out.push(`${exported}${line.name}=\${kms:${path}}`);
  }
  const template = out.length > 0 ? `${out.join("\n")}\n` : "";
  return { secrets, kept, template };
}

async function classify(line: DotenvLine & { kind: "assignment" }): Promise<string | null> {
  if (line.value.length === 0 || REFERENCE.test(line.value)) return null;
  const byRuleSet = await detectInText("dotenv", `${line.name}=${line.value}`);
  if (byRuleSet[0]) return byRuleSet[0].rule;
  const detection = detect(line.name, line.value);
  return detection ? `kpm/${detection.rule}` : null;
}
