// Reading a scan report back (`kpm import --from-scan`): kpm's own JSON or any SARIF 2.1.0 log,
// as file → the 1-based lines that hold findings.
import * as z from "zod/mini";

const jsonReport = z.object({
  findings: z.array(z.object({ file: z.string(), line: z.int() })),
});

const location = z.object({
  physicalLocation: z.optional(
    z.object({
      artifactLocation: z.object({ uri: z.string() }),
      region: z.optional(z.object({ startLine: z.int() })),
    }),
  ),
});

const sarifReport = z.object({
  version: z.literal("2.1.0"),
  runs: z.array(
    z.object({
      results: z.optional(z.array(z.object({ locations: z.optional(z.array(location)) }))),
    }),
  ),
});

export class ScanReportError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "ScanReportError";
  }
}

/** File (as the report names it) → lines with findings. */
export function parseScanReport(text: string): Map<string, Set<number>> {
  let document: unknown;
  try {
    document = JSON.parse(text);
  } catch {
    throw new ScanReportError("not JSON (expected kpm scan --json or --sarif output)");
  }
  const byFile = new Map<string, Set<number>>();
  const add = (file: string, line: number) => {
    const lines = byFile.get(file) ?? new Set<number>();
    lines.add(line);
    byFile.set(file, lines);
  };
  const json = jsonReport.safeParse(document);
  if (json.success) {
    for (const finding of json.data.findings) add(finding.file, finding.line);
    return byFile;
  }
  const sarif = sarifReport.safeParse(document);
  if (!sarif.success) throw new ScanReportError("neither kpm scan --json nor SARIF 2.1.0");
  for (const run of sarif.data.runs)
    for (const result of run.results ?? [])
      for (const location of result.locations ?? []) {
        const physical = location.physicalLocation;
        if (physical?.region)
          add(decodeURIComponent(physical.artifactLocation.uri), physical.region.startLine);
      }
  return byFile;
}
