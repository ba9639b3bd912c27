// The client side of the decrypt socket (spec §7.5, §7.6) used by run, decrypt, show and
// env --unload: one connection per request, bounded waits, and retries for a full backlog.
import type { Socket } from "bun";
import { withDeadline } from "./deadline.ts";
import { SessionError } from "./error.ts";
import { describeFsError, errorCode } from "./fs-error.ts";
import { pathExists } from "./path-exists.ts";

export const CONNECT_TIMEOUT_MS = 2000;
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

interface Exchange {
  received: Uint8Array[];
  pending: Uint8Array | null;
  settle: (outcome: { text: string } | { error: SessionError }) => void;
  settled: boolean;
}

async function exchange(socketPath: string, requestLine: string): Promise<string> {
  let settle: Exchange["settle"] = () => {};
  const outcome = new Promise<{ text: string } | { error: SessionError }>((resolve) => {
    settle = resolve;
  });
  const state: Exchange = { received: [], pending: null, settle, settled: false };
  const socket = await connect(socketPath, state);

  const request = new TextEncoder().encode(requestLine);
  const written = socket.write(request);
  if (written < 0) {
    socket.terminate();
    throw new SessionError("send", "the listener closed the connection");
  }
  if (written < request.byteLength) state.pending = request.subarray(written);

  const result = await withDeadline(outcome, RESPONSE_TIMEOUT_MS, () => ({
    error: new SessionError("read", `no response within ${RESPONSE_TIMEOUT_MS / 1000}s`),
  }));
  state.settled = true;
  socket.end();
  if ("error" in result) throw result.error;
  return result.text;
}

async function connect(socketPath: string, state: Exchange): Promise<Socket<Exchange>> {
  for (let attempt = 0; ; attempt++) {
    const connecting = connectOnce(socketPath, state);
    const result = await withDeadline(
      connecting.then(
        (socket) => ({ socket }),
        (error: unknown) => ({ error }),
      ),
      CONNECT_TIMEOUT_MS,
      () => null,
    );
    if (result === null) {
      connecting.then((late) => late.terminate()).catch(() => {});
      throw new SessionError("connect", `timed out after ${CONNECT_TIMEOUT_MS / 1000}s`);
    }
    if ("socket" in result) return result.socket;
    const code = errorCode(result.error);
    if (code === "ENOENT") throw noListener(socketPath);
    if (code !== "ECONNREFUSED") throw new SessionError("connect", describeFsError(result.error));
    // Refused while the file exists: a full accept backlog, worth a short retry; refused
    // without it: the listener is gone.
    if (!pathExists(socketPath) || attempt >= REFUSED_RETRIES) throw noListener(socketPath);
    await Bun.sleep(REFUSED_BACKOFF_MS);
  }
}

function connectOnce(socketPath: string, state: Exchange): Promise<Socket<Exchange>> {
  const finish = (socket: Socket<Exchange>): void => {
    if (state.settled) return;
    state.settled = true;
    state.settle({ text: new TextDecoder().decode(concat(socket.data.received)) });
  };
  return Bun.connect<Exchange>({
    unix: socketPath,
    data: state,
    socket: {
      data(socket, chunk) {
        if (state.settled) return;
        const newline = chunk.indexOf(NEWLINE);
        socket.data.received.push(
          Uint8Array.prototype.slice.call(newline === -1 ? chunk : chunk.subarray(0, newline)),
        );
        if (newline !== -1) finish(socket);
      },
      drain(socket) {
        const pending = state.pending;
        if (pending === null) return;
        const written = socket.write(pending);
        state.pending = written >= 0 && written < pending.byteLength ? pending.subarray(written) : null;
      },
      end(socket) {
        finish(socket);
      },
      close(socket) {
        finish(socket);
      },
      error(_socket, error) {
        if (state.settled) return;
        state.settled = true;
        state.settle({ error: new SessionError("read", describeFsError(error)) });
      },
      connectError() {
        // Reported through the rejected Bun.connect promise.
      },
    },
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
