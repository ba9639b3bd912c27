// What a listener answers to one request (spec §7.5): the checks run in the spec's order with
// its exact messages. This is the hot path, so requests are checked by hand, not with zod.
import { decryptData, parseBlob, parseStrictBlob } from "@kpm/strict-codec";
import { messageOf } from "./daemon.ts";
import type { DebugLog } from "./debug-log.ts";
import type { IssuedRefs } from "./issued-refs.ts";
import type { StrictResolver } from "./strict-resolver.ts";

const STRICT_PREFIX = "ENC[kpm-strict:";

interface CommonSession {
  sessionId: string;
  /** Called for every decrypt request (not pings): strict listeners reset their idle timer. */
  onDecryptRequest: () => void;
  debug: DebugLog;
}

export interface DefaultSession extends CommonSession {
  strict: false;
  key: Uint8Array;
  expiresAtMs: number;
  expiresAt: string;
}

export interface StrictSession extends CommonSession {
  strict: true;
  issued: IssuedRefs;
  resolver: StrictResolver;
}

export type ServedSession = DefaultSession | StrictSession;

export const INVALID_REQUEST = errorLine("invalid request");

/** The response line (JSON + "\n") for one request's text. */
export function answerRequest(session: ServedSession, text: string): string | Promise<string> {
  let request: unknown;
  try {
    request = JSON.parse(text);
  } catch {
    return INVALID_REQUEST;
  }
  if (request === null || typeof request !== "object" || Array.isArray(request)) return INVALID_REQUEST;
  const fields = request as Record<string, unknown>;
  if (fields.op === "ping") return pingLine(session);
  const blob = fields.ciphertext;
  if (typeof blob !== "string") return INVALID_REQUEST;

  session.onDecryptRequest();
  if (!session.strict && Date.now() >= session.expiresAtMs) return failure(session, "session expired");
  if (blob.startsWith(STRICT_PREFIX)) return answerStrict(session, blob);
  return answerEncrypted(session, blob);
}

function pingLine(session: ServedSession): string {
  const expiresAt = session.strict ? null : session.expiresAt;
  return `${JSON.stringify({ session: session.sessionId, expires_at: expiresAt, strict: session.strict })}\n`;
}

function answerEncrypted(session: ServedSession, blob: string): string {
  let parsed: ReturnType<typeof parseBlob>;
  try {
    parsed = parseBlob(blob);
  } catch {
    return failure(session, "invalid ciphertext format");
  }
  if (session.strict || parsed.sessionId !== session.sessionId)
    return failure(session, "session ID mismatch");
  try {
    const plaintext = decryptData(session.key, parsed.data);
    session.debug("decrypt ok (encrypted)");
    return `${JSON.stringify({ plaintext })}\n`;
  } catch {
    return failure(session, "decrypt failed");
  } finally {
    parsed.data.fill(0);
  }
}

async function answerStrict(session: ServedSession, blob: string): Promise<string> {
  let parsed: ReturnType<typeof parseStrictBlob>;
  try {
    parsed = parseStrictBlob(blob);
  } catch (error) {
    return failure(session, `invalid strict blob: ${messageOf(error)}`);
  }
  if (!session.strict || parsed.sessionId !== session.sessionId)
    return failure(session, "session ID mismatch");
  const issued = session.issued.find(parsed.ref);
  if (issued === null) return failure(session, "reference not issued for this session");
  try {
    const result = await session.resolver.resolve({ ...issued });
    if (result.ok) {
      session.debug("decrypt ok (strict)");
      return `${JSON.stringify({ plaintext: result.value })}\n`;
    }
    const prefix = result.denied ? "strict decrypt denied by policy" : "strict decrypt failed";
    return failure(session, `${prefix}: ${result.message}`);
  } catch (error) {
    return failure(session, `strict decrypt failed: ${messageOf(error)}`);
  }
}

function failure(session: ServedSession, message: string): string {
  session.debug(`decrypt error: ${message}`);
  return errorLine(message);
}

function errorLine(message: string): string {
  return `${JSON.stringify({ error: message })}\n`;
}
