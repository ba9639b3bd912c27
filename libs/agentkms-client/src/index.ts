// Public surface of @kpm/agentkms-client: the AgentKMS mTLS client and the reference-resolution rules.
export {
  type AgentKmsClient,
  type ClientConfig,
  createClient,
  DEFAULT_TIMEOUT_MS,
  DEFAULT_USER_AGENT,
  defaultMaxInFlight,
  MAX_IN_FLIGHT,
  openClient,
} from "./client.ts";
export { type CredentialStorePath, credentialStorePath } from "./credential-store.ts";
export type { HistoryEntry, SecretHistory } from "./endpoints.ts";
export {
  AGENTKMS_ERROR_CODES,
  AgentKmsError,
  type AgentKmsErrorCode,
  type ResolveError,
} from "./errors.ts";
export { normalizeExpires } from "./expires.ts";
export type { MetadataUpdate, SecretMetadata } from "./metadata.ts";
export { validatePath } from "./path.ts";
export { fieldLines, printableRegistryValue, printableValue } from "./printable.ts";
export { type KmsRefLike, type RefResult, resolveBatch, resolveOne, resolveReference } from "./resolve.ts";
export {
  canPassInEnvironment,
  MAX_ENV_STRING_BYTES,
  type SecretValueProblem,
  secretValueProblem,
  UNPASSABLE_VALUE,
} from "./secret-value.ts";
