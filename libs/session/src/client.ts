// The client side of the decrypt socket (spec §7.5, §7.6) used by run, decrypt, show and
// env --unload: one connection per request, bounded waits, and retries for a full backlog.

import { describeFsError, errorCode } from "@kpm/bounded-read/error";
import type { Socket } from "bun";
import { SessionError } from "./error.ts";
import { pathExists } from "./path-exists.ts";

export const RESPONSE_TIMEOUT_MS = 30_000;
const REFUSED_RETRIES = 3;
const REFUSED_BACKOFF_MS = 20;
const NEWLINE = 10;

export type DecryptResult = { ok: true; plaintext: string } | { ok: false; error: string };
export interface PingResult {
  session: string;
  expires_at: string | null;
  strict: boolean;
}

/**
 * Asks the listener at `socketPath` to decrypt `blob`. The caller has already run
 * checkSocketPath. Throws SessionError "no_listener" | "connect" | "send" | "read"; messages
 * never contain the blob or a value.
 */
export async function requestDecrypt(socketPath: string, blob: string): Promise<DecryptResult> {
  const response = await exchange(socketPath, `${JSON.stringify({ ciphertext: blob })}\n`);
  const fields = parseResponse(response);
  if (typeof fields.plaintext === "string") return { ok: true, plaintext: fields.plaintext };
  if (typeof fields.error === "string") return { ok: false, error: fields.error };
  // Listeners of kpm v0.2.1 answered {} for an empty value.
  return { ok: true, plaintext: "" };
}

/** The listener's session, expiry and mode, or null when it cannot be reached or answers oddly. */
export async function pingListener(socketPath: string): Promise<PingResult | null> {
  try {
    const fields = parseResponse(await exchange(socketPath, '{"op":"ping"}\n'));
    const { session, expires_at: expiresAt, strict } = fields;
    if (typeof session !== "string" || typeof strict !== "boolean") return null;
    if (expiresAt !== null && typeof expiresAt !== "string") return null;
    return { session, expires_at: expiresAt, strict };
  } catch {
    return null;
  }
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/**
 * One request line, one response line. The listener's socket bounds the wait for the response
 * (socket.timeout: no JS timer per request). A Unix-socket connect completes or fails at once, so
 * it has no timer: only a refused connect while the socket file exists (a full accept backlog)
 * is retried.
 */
async function exchange(socketPath: string, requestLine: string): Promise<string> {
  const request = encoder.encode(requestLine);
  for (let attempt = 0; ; attempt++) {
    const outcome = await exchangeOnce(socketPath, request);
    if (typeof outcome === "string") return outcome;
    if (outcome instanceof SessionError) throw outcome;
    const code = errorCode(outcome.connectError);
    if (code === "ENOENT") throw noListener(socketPath);
    if (code !== "ECONNREFUSED") throw new SessionError("connect", describeFsError(outcome.connectError));
    // Refused while the file exists: a full accept backlog, worth a short retry; refused
    // without it: the listener is gone.
    if (!pathExists(socketPath) || attempt >= REFUSED_RETRIES) throw noListener(socketPath);
    await Bun.sleep(REFUSED_BACKOFF_MS);
  }
}

type Outcome = string | SessionError | { connectError: unknown };

function exchangeOnce(socketPath: string, request: Uint8Array): Promise<Outcome> {
  return new Promise<Outcome>((resolve) => {
    const received: Uint8Array[] = [];
    let pending: Uint8Array | null = null;
    let settled = false;
    const settle = (socket: Socket<undefined>, outcome: Outcome): void => {
      if (settled) return;
      settled = true;
      socket.end();
      resolve(outcome);
    };
    const finish = (socket: Socket<undefined>): void => settle(socket, decoder.decode(concat(received)));
    Bun.connect({
      unix: socketPath,
      socket: {
        open(socket) {
          socket.timeout(RESPONSE_TIMEOUT_MS / 1000);
          const written = socket.write(request);
          if (written < 0) {
            settled = true;
            socket.terminate();
            resolve(new SessionError("send", "the listener closed the connection"));
          } else if (written < request.byteLength) {
            pending = request.subarray(written);
          }
        },
        data(socket, chunk) {
          if (settled) return;
          const newline = chunk.indexOf(NEWLINE);
          received.push(Uint8Array.prototype.slice.call(newline === -1 ? chunk : chunk.subarray(0, newline)));
          if (newline !== -1) finish(socket);
        },
        drain(socket) {
          if (pending === null) return;
          const written = socket.write(pending);
          pending = written >= 0 && written < pending.byteLength ? pending.subarray(written) : null;
        },
        timeout(socket) {
          settle(socket, new SessionError("read", `no response within ${RESPONSE_TIMEOUT_MS / 1000}s`));
        },
        end: finish,
        close: finish,
        error(socket, error) {
          settle(socket, new SessionError("read", describeFsError(error)));
        },
        connectError() {
          // Reported through the rejected Bun.connect promise.
        },
      },
    }).catch((connectError: unknown) => {
      settled = true;
      resolve({ connectError });
    });
  });
}

function parseResponse(text: string): Record<string, unknown> {
  if (text === "") throw new SessionError("read", "the listener closed the connection without a response");
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new SessionError("read", "the listener sent an unparsable response");
  }
  if (parsed === null || typeof parsed !== "object" || Array.isArray(parsed)) {
    throw new SessionError("read", "the listener sent an unparsable response");
  }
  return parsed as Record<string, unknown>;
}

function noListener(socketPath: string): SessionError {
  return new SessionError("no_listener", `no decrypt listener at ${socketPath}`);
}

function concat(chunks: Uint8Array[]): Uint8Array {
  if (chunks.length === 1 && chunks[0] !== undefined) return chunks[0];
  const total = chunks.reduce((sum, chunk) => sum + chunk.byteLength, 0);
  const whole = new Uint8Array(total);
  let offset = 0;
  for (const chunk of chunks) {
    whole.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return whole;
}
