// Public surface of @kpm/trust: the project-trust store (`kpm trust`), and the check the CLI runs
// on every file a project directory brings before kpm uses it.
export { TrustChecker } from "./checker.ts";
export { sha256Hex } from "./hash.ts";
export { type ProjectFiles, projectFiles } from "./project-files.ts";
export { type FileRead, readRegularFile } from "./read-file.ts";
export { readTrustStore, TRUST_STORE_FILE, type TrustRecords, writeTrustStore } from "./store.ts";
export {
  listTrusted,
  MAX_TRUSTED_FILE_BYTES,
  type TrustDirectoryOptions,
  type TrustedFile,
  type TrustListing,
  type TrustOutcome,
  type TrustStatus,
  trustDirectory,
  trustFiles,
  untrustDirectory,
} from "./trust.ts";
export { TrustError, type TrustErrorCode } from "./trust-error.ts";
export { realProjectDir, trustKey } from "./trust-key.ts";
