// The client end of the agent socket: one connection per kpm process, requests written as NDJSON
// lines and answered by id (several may be in flight: `kpm run` resolves its references at once).
import type { Socket } from "bun";
import { type AgentResponse, parseResponse, type RequestBody, requestLine } from "./protocol.ts";

/** How long a request may wait for its answer: the agent's own call to AgentKMS has a 10 s timeout. */
export const RESPONSE_TIMEOUT_MS = 15_000;

type Pending = { resolve: (response: AgentResponse) => void; reject: (error: Error) => void };

export type { RequestBody } from "./protocol.ts";

const encoder = new TextEncoder();
const decoder = new TextDecoder();
const NEWLINE = 10;

export class AgentConnection {
  readonly #socket: Socket<undefined>;
  readonly #pending = new Map<number, Pending>();
  #nextId = 1;
  #buffer = "";
  #closed = false;
  #queued: Uint8Array[] = [];

  private constructor(socket: Socket<undefined>) {
    this.#socket = socket;
  }

  /** Connects to the agent at `socketPath`; null when nothing accepts there (absent, stale, refused). */
  static async open(socketPath: string): Promise<AgentConnection | null> {
    let connection: AgentConnection | null = null;
    try {
      await Bun.connect({
        unix: socketPath,
        socket: {
          open(socket) {
            connection = new AgentConnection(socket);
            socket.timeout(RESPONSE_TIMEOUT_MS / 1000);
          },
          data(_socket, chunk) {
            connection?.received(chunk);
          },
          drain() {
            connection?.flush();
          },
          timeout() {
            connection?.fail("the agent did not answer in time");
          },
          end() {
            connection?.fail("the agent closed the connection");
          },
          close() {
            connection?.fail("the agent closed the connection");
          },
          error(_socket, error) {
            connection?.fail(error.message);
          },
          connectError() {
            // Reported through the rejected Bun.connect promise.
          },
        },
      });
    } catch {
      return null;
    }
    return connection;
  }

  /** Sends one request; resolves with its answer, rejects when the connection fails first. */
  request(body: RequestBody): Promise<AgentResponse> {
    if (this.#closed) return Promise.reject(new Error("the agent connection is closed"));
    const id = this.#nextId++;
    return new Promise<AgentResponse>((resolve, reject) => {
      this.#pending.set(id, { resolve, reject });
      this.#queued.push(encoder.encode(requestLine(body, id)));
      this.flush();
    });
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#socket.end();
    this.rejectAll("the agent connection is closed");
  }

  private flush(): void {
    while (this.#queued.length > 0) {
      const next = this.#queued[0] as Uint8Array;
      const written = this.#socket.write(next);
      if (written < 0) {
        this.fail("the agent closed the connection");
        return;
      }
      if (written < next.byteLength) {
        this.#queued[0] = next.subarray(written);
        return;
      }
      this.#queued.shift();
    }
  }

  private received(chunk: Uint8Array): void {
    let start = 0;
    for (let index = chunk.indexOf(NEWLINE); index !== -1; index = chunk.indexOf(NEWLINE, start)) {
      const line = this.#buffer + decoder.decode(chunk.subarray(start, index));
      this.#buffer = "";
      start = index + 1;
      const response = parseResponse(line);
      if (response === null) {
        this.fail("the agent sent an unparsable response");
        return;
      }
      const pending = this.#pending.get(response.id);
      this.#pending.delete(response.id);
      pending?.resolve(response);
    }
    if (start < chunk.byteLength) this.#buffer += decoder.decode(chunk.subarray(start), { stream: true });
  }

  private fail(reason: string): void {
    this.#closed = true;
    this.rejectAll(reason);
  }

  private rejectAll(reason: string): void {
    for (const pending of this.#pending.values()) pending.reject(new Error(reason));
    this.#pending.clear();
    this.#queued = [];
  }
}
