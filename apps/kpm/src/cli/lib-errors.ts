// The one place a library error becomes CLI text (spec §3.7): keyed on the error's class name
// and `code`, worded exactly as kpm prints it. Commands call toCliError/failureText and never
// word a library error themselves. Imports are type-only: this table loads no library.
import type { AgentKmsErrorCode } from "@kpm/agentkms-client";
import type { DevErrorCode } from "@kpm/agentkms-dev";
import type { AllowlistErrorCode } from "@kpm/allowlist";
import type { SessionErrorCode } from "@kpm/session/client";
import type { CodecErrorCode } from "@kpm/strict-codec";
import type { TemplateErrorCode } from "@kpm/template/core";
import type { TrustErrorCode } from "@kpm/trust";
import { CliError } from "./errors.ts";

/**
 * What the command was doing, where that changes the wording: creating the AgentKMS client,
 * loading a template (`run`, `env`, `show`), or one request to a decrypt listener.
 */
export type Operation = "create_client" | "load_template" | "decrypt_request";

/** The one stderr line for an error's message, given what the command was doing. */
type Wording = (message: string, operation: Operation | undefined) => string;

/** The message is already a complete line (`kpm: …`, `field "x" not found at …`). */
const asIs: Wording = (message) => message;
const errorLine: Wording = (message) => `error: ${message}`;
/** An AgentKMS client that could not be built (bad URL, unreadable or mismatched PEM files). */
const clientError: Wording = (message, operation) =>
  operation === "create_client" ? `error creating client: ${message}` : errorLine(message, operation);
/** A template that does not load: a profile failure is worded by the template lib in full. */
const templateError: Wording = (message, operation) =>
  operation === "load_template" ? `error parsing template: ${message}` : errorLine(message, operation);
const profileError: Wording = (message, operation) =>
  operation === "load_template" ? message : errorLine(message, operation);
/** What a decrypt request to a listener failed at (`kpm decrypt`): sending, reading, else connecting. */
const requestError =
  (stage: string): Wording =>
  (message, operation) =>
    operation === "decrypt_request" ? `${stage}: ${message}` : errorLine(message, operation);
const connectError = requestError("error connecting to decrypt socket");

/** Every library error class the CLI prints, with a wording for each of its codes. */
const WORDING = {
  AgentKmsError: {
    config: clientError,
    http: clientError,
    transport: clientError,
    decode: clientError,
    invalid_path: clientError,
    redirect: clientError,
    resolve: clientError,
    missing_key: asIs,
    missing_field: asIs,
    registry_fallback: asIs,
  } satisfies Record<AgentKmsErrorCode, Wording>,
  AllowlistError: {
    not_found: asIs,
    parse: asIs,
    untrusted: asIs,
    audit_log: asIs,
  } satisfies Record<AllowlistErrorCode, Wording>,
  CodecError: {
    invalid_blob: errorLine,
    invalid_strict_blob: errorLine,
    decrypt_failed: errorLine,
    invalid_ref: errorLine,
  } satisfies Record<CodecErrorCode, Wording>,
  DevError: {
    pki_exists: errorLine,
    no_pki: errorLine,
    ca_expiring: errorLine,
    invalid_cn: errorLine,
    store_corrupt: errorLine,
    store_locked: errorLine,
    not_found: errorLine,
    invalid_path: errorLine,
    invalid_fields: errorLine,
    invalid_value: errorLine,
    policy: errorLine,
    io: errorLine,
    listen: errorLine,
    addr_in_use: errorLine,
  } satisfies Record<DevErrorCode, Wording>,
  SessionError: {
    runtime_dir: connectError,
    runtime_dir_create: connectError,
    socket_refused: connectError,
    socket_path_too_long: connectError,
    sid_taken: connectError,
    listener_start: connectError,
    no_listener: connectError,
    connect: connectError,
    send: requestError("error sending request"),
    read: requestError("error reading response"),
  } satisfies Record<SessionErrorCode, Wording>,
  TemplateError: {
    parse: templateError,
    include: templateError,
    profile: profileError,
    io: templateError,
    config: templateError,
    untrusted: templateError,
  } satisfies Record<TemplateErrorCode, Wording>,
  TrustError: {
    corrupt: asIs,
    unsafe: asIs,
    io: asIs,
  } satisfies Record<TrustErrorCode, Wording>,
} as const;

export type LibErrorName = keyof typeof WORDING;

/** A library's error: one of the classes above (by name), with a `code` its table knows. */
export interface LibError {
  name: LibErrorName;
  code: string;
  message: string;
}

export function isLibError(error: unknown): error is LibError & Error {
  if (!(error instanceof Error) || !Object.hasOwn(WORDING, error.name)) return false;
  const code = (error as { code?: unknown }).code;
  return typeof code === "string" && Object.hasOwn(WORDING[error.name as LibErrorName], code);
}

/** The CLI line for a library error, or undefined for anything else. */
export function libErrorText(error: unknown, operation?: Operation): string | undefined {
  if (!isLibError(error)) return undefined;
  const byCode: Record<string, Wording> = WORDING[error.name];
  return byCode[error.code]?.(error.message, operation);
}

/**
 * A library error as the CliError to throw (with an optional hint line after it); a CliError, or
 * anything that is not a library error, is returned as it is for the dispatcher to report.
 */
export function toCliError(error: unknown, operation?: Operation, hint?: string): unknown {
  if (error instanceof CliError) return error;
  const text = libErrorText(error, operation);
  if (text === undefined) return error;
  const line = hint ?? hintFor(error);
  return new CliError(line === undefined ? [text] : [text, line]);
}

/** AgentKMS refuses a second vend of one credential inside its rate-limit window (wire §6.1). */
export const RATE_LIMIT_HINT =
  "tip: AgentKMS vends each credential once per rate-limit window; the kpm agent keeps it between commands (kpm agent start, docs/agent.md)";

/** The hint line a library error carries by itself, if any. */
function hintFor(error: unknown): string | undefined {
  const { name, status } = error as { name?: unknown; status?: unknown };
  return name === "AgentKmsError" && status === 429 ? RATE_LIMIT_HINT : undefined;
}

/** The one line for any failure: a library error's line, else `error: <message>`. */
export function failureLine(error: unknown, operation?: Operation): string {
  return libErrorText(error, operation) ?? `error: ${failureText(error)}`;
}

/**
 * The reason a step failed, for a line the command words itself (`warning: skipping <path>:
 * <reason>`): a library error's message, any other error's message, or the value as text.
 */
export function failureText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
