// `@kpm/agentkms-client/resolve`: the reference-resolution rules and the error class without the
// transport, for a process that reaches AgentKMS through the per-user agent (@kpm/agent) and must
// not load the TLS client, zod or their decoders.
export type { AgentKmsClient } from "./client.ts";
export { AgentKmsError, type AgentKmsErrorCode, type AgentKmsErrorDetails } from "./errors.ts";
export { fieldLines, printableRegistryValue, printableValue } from "./printable.ts";
export { type KmsRefLike, type RefResult, resolveBatch, resolveOne, resolveReference } from "./resolve.ts";
