// The socket framing of spec §7.5: one request per connection, ending at the first "\n" or at
// EOF, at most 64 KiB, arriving within the request timeout; one response line, then close.
import type { Socket, UnixSocketListener } from "bun";
import { INVALID_REQUEST } from "./decrypt-service.ts";

export const MAX_REQUEST_BYTES = 64 * 1024;
export const DEFAULT_REQUEST_TIMEOUT_MS = 5000;

export type AnswerRequest = (text: string) => string | Promise<string>;

interface Connection {
  chunks: Uint8Array[];
  size: number;
  answered: boolean;
  closed: boolean;
  timer: ReturnType<typeof setTimeout> | undefined;
  /** A response the socket buffer could not take at once, and how much of it was sent. */
  pending: { bytes: Uint8Array; offset: number } | null;
  /** Why this peer is not served (AdmitPeer), or null. */
  refusal: string | null;
}

const NEWLINE = 10;
const decoder = new TextDecoder();
const encoder = new TextEncoder();

/** Null to serve a connection (by its socket descriptor), else the reason to refuse it. */
export type AdmitPeer = (fd: number) => string | null;

/**
 * Binds `socketPath` (the caller sets the umask) and answers each connection's request; a
 * connection `admit` refuses gets `{"error": <reason>}` instead, its request never looked at.
 */
export function listenForRequests(
  socketPath: string,
  answer: AnswerRequest,
  requestTimeoutMs: number,
  admit: AdmitPeer = () => null,
): UnixSocketListener<Connection> {
  const respond = (socket: Socket<Connection>, line: string): void => {
    const connection = socket.data;
    if (connection.closed) return;
    sendAll(socket, encoder.encode(line));
  };

  const finish = (socket: Socket<Connection>, text: string | null): void => {
    const connection = socket.data;
    connection.answered = true;
    clearTimeout(connection.timer);
    connection.chunks = [];
    if (connection.refusal !== null) {
      respond(socket, `${JSON.stringify({ error: connection.refusal })}\n`);
      return;
    }
    if (text === null) {
      respond(socket, INVALID_REQUEST);
      return;
    }
    const result = answer(text);
    if (typeof result === "string") respond(socket, result);
    else result.then((line) => respond(socket, line));
  };

  return Bun.listen<Connection>({
    unix: socketPath,
    // Lets a client half-close after its request (EOF ends it) and still read the answer.
    allowHalfOpen: true,
    socket: {
      open(socket) {
        socket.data = {
          chunks: [],
          size: 0,
          answered: false,
          closed: false,
          timer: undefined,
          pending: null,
          // Judged now (the peer is the connecting process), answered once the request is in.
          refusal: admit((socket as unknown as { fd: number }).fd),
        };
        socket.data.timer = setTimeout(() => {
          if (!socket.data.answered) finish(socket, null);
        }, requestTimeoutMs);
      },
      data(socket, chunk) {
        const connection = socket.data;
        if (connection.answered) return;
        const newline = chunk.indexOf(NEWLINE);
        const used = newline === -1 ? chunk.byteLength : newline;
        if (connection.size + used > MAX_REQUEST_BYTES) {
          finish(socket, null);
          return;
        }
        if (newline === -1) {
          // The chunk's memory is reused after this callback returns: keep a copy.
          connection.chunks.push(Uint8Array.prototype.slice.call(chunk));
          connection.size += chunk.byteLength;
          return;
        }
        finish(socket, requestText(connection, chunk.subarray(0, newline)));
      },
      end(socket) {
        const connection = socket.data;
        if (!connection.answered) finish(socket, requestText(connection, new Uint8Array(0)));
      },
      drain(socket) {
        const pending = socket.data.pending;
        if (pending !== null) {
          socket.data.pending = null;
          sendAll(socket, pending.bytes, pending.offset);
        }
      },
      close(socket) {
        socket.data.closed = true;
        clearTimeout(socket.data.timer);
      },
      error() {
        // A client that vanished mid-request harms nobody else; close() cleans up.
      },
    },
  });
}

function requestText(connection: Connection, last: Uint8Array): string {
  if (connection.chunks.length === 0) return decoder.decode(last);
  const whole = new Uint8Array(connection.size + last.byteLength);
  let offset = 0;
  for (const chunk of connection.chunks) {
    whole.set(chunk, offset);
    offset += chunk.byteLength;
  }
  whole.set(last, offset);
  return decoder.decode(whole);
}

function sendAll(socket: Socket<Connection>, bytes: Uint8Array, offset = 0): void {
  const written = socket.write(offset === 0 ? bytes : bytes.subarray(offset));
  if (written >= 0 && offset + written < bytes.byteLength) {
    socket.data.pending = { bytes, offset: offset + written };
    return;
  }
  // The response may hold plaintext: zero our copy once the kernel has it.
  bytes.fill(0);
  socket.end();
}
