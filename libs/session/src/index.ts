// Public surface of @kpm/session: the runtime directory, session records, the decrypt
// listener (default and strict), how it is launched, and its socket client (spec §7).
export { type DecryptResult, type PingResult, pingListener, requestDecrypt } from "./client.ts";
export { SessionError, type SessionErrorCode } from "./error.ts";
export { findListenerSocket } from "./find-listener.ts";
export { type LaunchOptions, launchListener } from "./launch.ts";
export { type RunListenerOptions, runListener } from "./listener.ts";
export {
  describeOwner,
  detectOwnerShell,
  isOwnerAlive,
  OWNER_POLL_MS,
  type OwnerProcess,
} from "./owner.ts";
export { CONFINED_PEER_REFUSAL, confinedPeerCheck, noNewPrivs } from "./peer-check.ts";
export { checkRuntimeDir, ensureRuntimeDir, resolveRuntimeDir } from "./runtime-dir.ts";
export {
  cleanupStaleSessions,
  listSessionRecords,
  readSessionRecord,
  type SessionRecord,
} from "./session-record.ts";
export { checkSocketPath, MAX_SOCKET_PATH_BYTES } from "./socket-path.ts";
export type { IssuedRef, ListenerStart } from "./start-message.ts";
export { type OwnedListenerFilter, stopListener, stopOwnedListeners } from "./stop-listener.ts";
export type { StrictClientConfig, StrictResolution, StrictResolver } from "./strict-resolver.ts";
