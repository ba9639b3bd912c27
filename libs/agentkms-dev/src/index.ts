// Public surface of @kpm/agentkms-dev.
export { DevError, type DevErrorCode } from "./errors.ts";
