// Detection over one text: secretlint's recommended preset (a maintained rule set, from npm)
// first, then kpm's own value rules (@kpm/secret-detect: PEM blocks, JWTs, high-entropy values)
// on assignment-shaped lines the preset did not already flag.

import { detectValue } from "@kpm/secret-detect";
import { lintSource } from "@secretlint/core";
import { creator as recommendedPreset } from "@secretlint/secretlint-rule-preset-recommend";
import { type Finding, redact } from "./finding.ts";

const SECRETLINT_CONFIG = {
  rules: [{ id: "@secretlint/secretlint-rule-preset-recommend", rule: recommendedPreset }],
};

/** `NAME=value`, `NAME: value`, `"name": "value"`, `export NAME="value"` — the value is group 2. */
const ASSIGNMENT =
  /(?:^|[\s{,;(])(?:export\s+)?["']?([A-Za-z_][A-Za-z0-9_.-]*)["']?\s*(?::=|=|:)\s*["'`]?([^\s"'`,;]+)/g;
/**
 * A private-key block with a body (as gitleaks' rule requires), so code and docs that only name
 * the header are not reported: 64+ base64 characters, whitespace or escaped newlines, then END.
 */
const PEM_BLOCK =
  /-----BEGIN (?:[A-Z0-9]+ )*PRIVATE KEY(?: BLOCK)?-----(?:[A-Za-z0-9+/=\s]|\\n){64,}?-----END /g;

/** Every secret in one text, in order; values appear only as redacted previews. */
export async function detectInText(file: string, content: string): Promise<Finding[]> {
  const findings: Finding[] = [];
  const lineStarts = lineStartsOf(content);
  const flaggedLines = new Set<number>();
  const result = await lintSource({
    source: { filePath: file, content, contentType: "text" },
    options: { config: SECRETLINT_CONFIG, maskSecrets: false, noPhysicFilePath: true },
  });
  for (const message of result.messages) {
    const { offset, value } = locate(content, lineStarts, message.range, message.data);
    const position = positionOf(lineStarts, offset);
    flaggedLines.add(position.line);
    if (isPlaceholder(value)) continue;
    const rule = message.ruleId.replace(/^@secretlint\/secretlint-rule-/, "");
    findings.push({
      file,
      ...position,
      rule: `secretlint/${rule}/${message.messageId}`,
      preview: redact(value),
    });
  }
  for (const match of content.matchAll(PEM_BLOCK)) {
    const position = positionOf(lineStarts, match.index);
    if (flaggedLines.has(position.line)) continue;
    flaggedLines.add(position.line);
    const header = match[0].slice(0, match[0].indexOf("-----", 5) + 5);
    findings.push({ file, ...position, rule: "kpm/pem-private-key", preview: redact(header) });
  }
  for (const match of content.matchAll(ASSIGNMENT)) {
    const value = match[2] ?? "";
    const detection = detectValue(value);
    if (detection === null || detection.rule === "pem-private-key" || isPlaceholder(value)) continue;
    const offset = match.index + match[0].lastIndexOf(value);
    const position = positionOf(lineStarts, offset);
    if (flaggedLines.has(position.line)) continue;
    flaggedLines.add(position.line);
    findings.push({ file, ...position, rule: `kpm/${detection.rule}`, preview: redact(value) });
  }
  return findings.sort((a, b) => a.line - b.line || a.column - b.column);
}

/**
 * Documentation values and look-alikes that real rule sets also let pass: AWS's published
 * EXAMPLE keys, `ghp_xxxx…` placeholders (a run of one character), and package-manager integrity
 * hashes (`sha512-…`).
 */
export function isPlaceholder(value: string): boolean {
  return /example/i.test(value) || /(.)\1{7,}/.test(value) || /^sha(?:1|256|384|512)-/.test(value);
}

/**
 * Where the secret of a secretlint message starts and what it is: its `data` holds the matched
 * value; some rules report a range that starts at the line's beginning, so the value is looked
 * up from the start of the reported line.
 */
function locate(
  content: string,
  lineStarts: number[],
  range: readonly [number, number],
  data: unknown,
): { offset: number; value: string } {
  const fallback = { offset: range[0], value: content.slice(range[0], range[1]) };
  const candidate = Object.values((data ?? {}) as Record<string, unknown>).find(
    (item): item is string => typeof item === "string" && item.length > 0,
  );
  if (candidate === undefined) return fallback;
  const lineStart = lineStarts[positionOf(lineStarts, range[0]).line - 1] ?? 0;
  const offset = content.indexOf(candidate, lineStart);
  return offset === -1 ? fallback : { offset, value: candidate };
}

function lineStartsOf(content: string): number[] {
  const starts = [0];
  for (let index = content.indexOf("\n"); index !== -1; index = content.indexOf("\n", index + 1))
    starts.push(index + 1);
  return starts;
}

/** Offset → 1-based line and column (binary search over line starts). */
function positionOf(lineStarts: number[], offset: number): { line: number; column: number } {
  let low = 0;
  let high = lineStarts.length - 1;
  while (low < high) {
    const middle = (low + high + 1) >> 1;
    if ((lineStarts[middle] ?? 0) <= offset) low = middle;
    else high = middle - 1;
  }
  return { line: low + 1, column: offset - (lineStarts[low] ?? 0) + 1 };
}
