// The library's one error class. `message` is the exact user-facing text of kpm-cli.md §6.5
// (with its "<op>: " prefix); the flags let callers apply §6.4 without parsing messages.

export type AgentKmsErrorCode =
  | "config"
  | "http"
  | "transport"
  | "decode"
  | "invalid_path"
  | "redirect"
  /** A 200 answer that lacks what the reference asked for, or is ambiguous (§6.3, §6.4). */
  | "resolve"
  /** A kv bundle without the `#key` a reference names (`key "k" not found at path "p"`). */
  | "missing_key"
  /** A registry secret without the `#field` a reference names (`field "f" not found at "s/n"`). */
  | "missing_field"
  /** `kpm get` of a reference that is neither llm nor kv, whose registry fetch failed (§8.5). */
  | "registry_fallback";

/** Every code, for callers that must handle each one (the CLI's error table checks against it). */
export const AGENTKMS_ERROR_CODES = [
  "config",
  "http",
  "transport",
  "decode",
  "invalid_path",
  "redirect",
  "resolve",
  "missing_key",
  "missing_field",
  "registry_fallback",
] as const satisfies readonly AgentKmsErrorCode[];

export interface AgentKmsErrorDetails {
  status?: number;
  serverCode?: string;
  notFound?: boolean;
  denied?: boolean;
}

export class AgentKmsError extends Error {
  override readonly name = "AgentKmsError";
  readonly code: AgentKmsErrorCode;
  /** HTTP status when code is "http" or "redirect". */
  readonly status?: number;
  /** The `code` of a JSON error body, e.g. `key_not_found`. */
  readonly serverCode?: string;
  /** §6.4 "not found": a JSON 404, or a 200 without the requested key/field/api_key. Defaults apply only then. */
  readonly notFound: boolean;
  /** HTTP 403: a policy denial (§6.5). */
  readonly denied: boolean;

  constructor(code: AgentKmsErrorCode, message: string, details: AgentKmsErrorDetails = {}) {
    super(message);
    this.code = code;
    if (details.status !== undefined) this.status = details.status;
    if (details.serverCode !== undefined) this.serverCode = details.serverCode;
    this.notFound = details.notFound ?? false;
    this.denied = details.denied ?? false;
  }
}

/** Resolution failures are AgentKmsErrors with code "resolve"; the alias keeps call sites readable. */
export type ResolveError = AgentKmsError;
