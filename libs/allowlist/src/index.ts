// Public surface of @kpm/allowlist: finding, parsing and applying secure-allowlist.yaml (§9.1, §9.4).

export { pinToolInAllowlist, type ToolPinUpdate } from "./allow-tool.ts";
export { AllowlistError, type AllowlistErrorCode } from "./allowlist-error.ts";
export { type AuditEvent, formatAuditLine, formatPinRefusal, referenceToken } from "./audit-line.ts";
export { type AuditLog, openAuditLog } from "./audit-log.ts";
export {
  type AuditMode,
  type AuditRecord,
  type DecisionRecord,
  decisionRecord,
  formatAuditRecord,
  type SwapRecord,
  serializeAuditRecord,
  swapRecord,
} from "./audit-record.ts";
export { brokeredHosts } from "./brokered.ts";
export {
  type EnvRecord,
  type EnvSummary,
  envRecord,
  formatDropLine,
  formatEnvRecord,
  formatEnvSummaryLines,
} from "./env-summary.ts";
export {
  type FilterDecision,
  type FilterInput,
  type FilterOutcome,
  type FilterResult,
  filterEntries,
} from "./filter.ts";
export {
  applyInheritPolicy,
  BASE_INHERITED,
  type InheritDrop,
  type InheritOutcome,
  isBaseInherited,
  isGranted,
} from "./inherit-policy.ts";
export { filterEntriesBounded } from "./layered.ts";
export { loadAllowlist, readAllowlistBytes } from "./load-allowlist.ts";
export { type AllowlistLookup, allowlistCandidates, boundingAllowlist, findAllowlist } from "./lookup.ts";
export {
  type Allowlist,
  MAX_ALLOWLIST_BYTES,
  parseAllowlist,
  type ToolAllowlist,
} from "./parse-allowlist.ts";
export { matchesPattern } from "./pattern.ts";
export { matchesPin, type PinParse, parsePin, type ReferenceLike, referenceName } from "./pin.ts";
export { checkToolPins, fileSha256, type ToolPin, type ToolPinCheck, toolPins } from "./tool-pin.ts";
export { isToolSettingKey, type ToolSettings } from "./tool-settings.ts";
