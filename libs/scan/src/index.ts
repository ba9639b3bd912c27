// Public surface of @kpm/scan: find secrets in files and texts, report them redacted (text,
// JSON, SARIF), and parse dotenv files for `kpm import`.
export { detectInText, isPlaceholder } from "./detectors.ts";
export { type DotenvLine, parseDotenv, replaceValue } from "./dotenv.ts";
export { type Finding, redact } from "./finding.ts";
export { type ImportEntry, type ImportPlan, planImport, secretName, serviceName } from "./import-plan.ts";
export { parseScanReport, ScanReportError } from "./report.ts";
export { toSarif } from "./sarif.ts";
export {
  type FileInput,
  MAX_FILE_BYTES,
  readTextFile,
  type ScanResult,
  type ScanStats,
  scanFiles,
  scanText,
} from "./scan.ts";
export {
  agentLocations,
  historyFiles,
  otherProcessEnvironments,
  type ProcessEnvironment,
} from "./sources.ts";
export { NotAWorkTreeError, scanEnvironments, scanStaged } from "./targets.ts";
export { displayPath, listFiles, type WalkOptions } from "./walk.ts";
