// SARIF 2.1.0 for GitHub code scanning: one run, one rule per rule id seen, one result per
// finding with a physical location. Messages carry the redacted preview only.
import type { Finding } from "./finding.ts";

export const SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json";

export function toSarif(findings: Finding[], toolVersion: string): object {
  const ruleIds = [...new Set(findings.map((finding) => finding.rule))].sort();
  return {
    $schema: SARIF_SCHEMA,
    version: "2.1.0",
    runs: [
      {
        tool: {
          driver: {
            name: "kpm scan",
            version: toolVersion,
            rules: ruleIds.map((id) => ({
              id,
              shortDescription: { text: `Secret matched by ${id}` },
              defaultConfiguration: { level: "error" },
            })),
          },
        },
        results: findings.map((finding) => ({
          ruleId: finding.rule,
          ruleIndex: ruleIds.indexOf(finding.rule),
          level: "error",
          message: { text: `Possible secret (${finding.rule}): ${finding.preview}` },
          locations: [
            {
              physicalLocation: {
                artifactLocation: { uri: toUri(finding.file) },
                region: { startLine: finding.line, startColumn: finding.column },
              },
            },
          ],
        })),
      },
    ],
  };
}

/** A relative path as a URI reference (segments percent-encoded), as code scanning expects. */
function toUri(path: string): string {
  return path
    .split("/")
    .map((segment) => encodeURIComponent(segment))
    .join("/");
}
