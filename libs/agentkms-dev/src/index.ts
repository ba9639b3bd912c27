// Public surface of @kpm/agentkms-dev.

export { type AuditEventInput, AuditLog } from "./audit.ts";
export { type ConnectionLimits, DEFAULT_CONNECTION_LIMITS } from "./connection-guard.ts";
export {
  clientFiles,
  clientPaths,
  DEFAULT_CLIENT_CN,
  DEV_CA_CN,
  devDirOfClientFile,
  pkiPaths,
  resolveDevDir,
} from "./dev-dir.ts";
export {
  deleteDevSecret,
  invalidFieldValue,
  listDevReferences,
  listDevSecrets,
  setDevSecret,
  validateKvPath,
} from "./dev-secrets.ts";
export { DevError, type DevErrorCode } from "./errors.ts";
export { type Identity, identityFromCertificate } from "./identity.ts";
export { type ListenAddress, parseListenAddress } from "./listen-address.ts";
export { type StoreLockOptions, storeLockPath, withStoreLock } from "./lock.ts";
export {
  type ClientOptions,
  certificateNotAfter,
  type EnrollOptions,
  earliestExpiry,
  enroll,
  formatDate,
  issueClient,
  renew,
} from "./pki.ts";
export { type Decision, defaultPolicy, evaluate, loadPolicy, type Policy, parsePolicy } from "./policy.ts";
export { type RunningServer, type ServerOptions, startDevServer } from "./server.ts";
export {
  readServerState,
  removeServerState,
  type ServerState,
  serverStatePath,
  writeServerState,
} from "./server-state.ts";
export { SecretStore } from "./store.ts";
export { decryptStore, deriveStoreKey, encodeStorePlaintext, encryptStore, type KV } from "./store-crypto.ts";
