// Raw-socket attackers for the dev-server abuse tests: silent TCP peers, TLS peers that drip bytes,
// and a keep-alive mTLS client. Every socket is registered with a pool the test closes afterwards.
import { connect as connectTcp, type Socket } from "node:net";
import { connect as connectTls, type TLSSocket } from "node:tls";
import type { ClientCredentials } from "./dev-server.ts";

export interface Peer {
  socket: Socket;
  /** performance.now() when connected (after the handshake for TLS peers). */
  openedAt: number;
  /** Resolves with performance.now() when the socket closes. */
  closed: Promise<number>;
  isOpen(): boolean;
}

function track(socket: Socket): Omit<Peer, "openedAt"> {
  let open = true;
  const closed = new Promise<number>((resolve) =>
    socket.on("close", () => {
      open = false;
      resolve(performance.now());
    }),
  );
  // Resets from the server are the expected outcome here, not test failures.
  socket.on("error", () => {});
  return { socket, closed, isOpen: () => open };
}

/** Resolves with the close time, or null when the peer is still open after `ms`. */
export function closedWithin(peer: Peer, ms: number): Promise<number | null> {
  return Promise.race([peer.closed, Bun.sleep(ms).then(() => null)]);
}

export class SocketPool {
  readonly #sockets = new Set<Socket>();

  /** A TCP connection that says nothing (no TLS ClientHello). */
  tcp(port: number, localAddress = "127.0.0.1"): Promise<Peer> {
    const socket = connectTcp({ host: "127.0.0.1", port, localAddress });
    this.#sockets.add(socket);
    const peer = track(socket);
    return new Promise((resolve) => {
      socket.once("connect", () => resolve({ ...peer, openedAt: performance.now() }));
      // Refused before connect completes: still a peer, already closed.
      void peer.closed.then((at) => resolve({ ...peer, openedAt: at }));
    });
  }

  /** An mTLS connection that completed its handshake (rejects if it did not). */
  tls(port: number, credentials: ClientCredentials, localAddress = "127.0.0.1"): Promise<Peer> {
    // node:tls forwards localAddress to the TCP connect; its typings just do not list it.
    const options = { host: "127.0.0.1", port, localAddress, ...credentials, minVersion: "TLSv1.3" as const };
    const socket: TLSSocket = connectTls(options);
    this.#sockets.add(socket);
    const peer = track(socket);
    return new Promise((resolve, reject) => {
      socket.once("secureConnect", () => resolve({ ...peer, openedAt: performance.now() }));
      void peer.closed.then(() => reject(new Error("closed before the TLS handshake completed")));
    });
  }

  /** Writes `data` in `step`-byte pieces every `intervalMs` until done or the socket closes. */
  async drip(peer: Peer, data: string, step: number, intervalMs: number): Promise<void> {
    for (let i = 0; i < data.length && peer.isOpen(); i += step) {
      peer.socket.write(data.slice(i, i + step));
      await Bun.sleep(intervalMs);
    }
  }

  closeAll(): void {
    for (const socket of this.#sockets) socket.destroy();
    this.#sockets.clear();
  }
}

/** One mTLS keep-alive connection reused for every request, like a client that is already connected. */
export class KeepAliveClient {
  readonly peer: Peer;
  readonly #socket: TLSSocket;
  #buffer = Buffer.alloc(0);
  #waiting: ((status: number) => void) | null = null;

  private constructor(peer: Peer) {
    this.peer = peer;
    const socket = peer.socket as TLSSocket;
    this.#socket = socket;
    socket.on("data", (chunk: Buffer) => {
      this.#buffer = Buffer.concat([this.#buffer, chunk]);
      this.#parse();
    });
    socket.on("error", () => {});
  }

  static open(pool: SocketPool, port: number, credentials: ClientCredentials): Promise<KeepAliveClient> {
    return pool.tls(port, credentials).then((peer) => new KeepAliveClient(peer));
  }

  /** Status of `GET path` on this connection; rejects if no answer comes within 2 s. */
  get(path: string): Promise<number> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no answer to GET ${path}`)), 2000);
      this.#waiting = (status) => {
        clearTimeout(timer);
        resolve(status);
      };
      this.#socket.write(`GET ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\nUser-Agent: kpm-test/1\r\n\r\n`);
    });
  }

  #parse(): void {
    const end = this.#buffer.indexOf("\r\n\r\n");
    if (end < 0 || !this.#waiting) return;
    const head = this.#buffer.subarray(0, end).toString("latin1");
    const length = Number(/\r\ncontent-length:\s*(\d+)/i.exec(head)?.[1] ?? 0);
    if (this.#buffer.length < end + 4 + length) return;
    this.#buffer = this.#buffer.subarray(end + 4 + length);
    const waiting = this.#waiting;
    this.#waiting = null;
    waiting(Number(head.split(" ")[1]));
  }
}
