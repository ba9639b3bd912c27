// @kpm/confine: keeps a tool launched by `kpm run --secure` (and everything it starts) out of
// kpm's own files — planning the Landlock rules, enforcing them, and the macOS profile text.
export {
  describeMechanism,
  detectMechanism,
  type Mechanism,
  type MechanismProbe,
  SANDBOX_EXEC,
} from "./mechanism.ts";
export {
  type ConfinementPlan,
  type ConfinementRequest,
  canonicalPath,
  type FileSystemView,
  nodeFileSystem,
  planConfinement,
} from "./plan.ts";
export { sandboxProfile, seatbeltString } from "./sandbox-profile.ts";
export { decodeRules, encodeRules, type RuleTransfer } from "./transfer.ts";
