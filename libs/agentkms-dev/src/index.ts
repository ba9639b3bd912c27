// Public surface of @kpm/agentkms-dev.

export { resolveDevDir } from "./dev-dir.ts";
export { DevError, type DevErrorCode } from "./errors.ts";
export {
  type ClientOptions,
  certificateNotAfter,
  DEFAULT_CLIENT_CN,
  type EnrollOptions,
  earliestExpiry,
  enroll,
  formatDate,
  issueClient,
  pkiPaths,
  renew,
} from "./pki.ts";
