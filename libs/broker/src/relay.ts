// Byte relays between two Bun sockets with backpressure: a write the kernel does not take whole
// pauses the sending side until the receiving side drains. node:net's pipe() moved a large
// response at a third of this speed (bench/broker.bench.ts).
import type { Socket } from "bun";

export interface Leg {
  peer: Socket<Leg> | null;
  /** Bytes for this socket that it has not taken yet (written on drain). */
  pending: Uint8Array[];
  /** Bytes received before the peer existed (written to it when it opens). */
  early: Uint8Array[];
  /** The proxy request head being read (client legs only), until it is complete. */
  head: Buffer | null;
  /** The peer has closed: end this socket once its queue is written. */
  ending: boolean;
}

export function newLeg(head: Buffer | null): Leg {
  return { peer: null, pending: [], early: [], head, ending: false };
}

/** Writes to `to`, queueing what it does not take and pausing `from` until `to` drains. */
export function relay(from: Socket<Leg>, to: Socket<Leg>, bytes: Uint8Array): void {
  if (to.data.pending.length > 0) {
    to.data.pending.push(Buffer.from(bytes));
    return;
  }
  const written = to.write(bytes);
  if (written < bytes.length) {
    to.data.pending.push(Buffer.from(bytes.subarray(Math.max(written, 0))));
    from.pause();
  }
}

/** On drain: writes what is queued for `socket`, and resumes its peer once all is taken. */
export function flush(socket: Socket<Leg>): void {
  const queue = socket.data.pending;
  while (queue.length > 0) {
    const bytes = queue[0] as Uint8Array;
    const written = socket.write(bytes);
    if (written < bytes.length) {
      queue[0] = bytes.subarray(Math.max(written, 0));
      return;
    }
    queue.shift();
  }
  if (socket.data.ending) socket.end();
  else socket.data.peer?.resume();
}

/** The peer of `socket` is gone: end `socket` now, or after its queue is written. */
export function peerClosed(socket: Socket<Leg> | null): void {
  if (socket === null) return;
  socket.data.peer = null;
  if (socket.data.pending.length === 0) socket.end();
  else socket.data.ending = true;
}

/** Joins two open sockets; bytes received early go out first. */
export function join(client: Socket<Leg>, upstream: Socket<Leg>): void {
  client.data.peer = upstream;
  upstream.data.peer = client;
  for (const bytes of client.data.early.splice(0)) relay(client, upstream, bytes);
  client.resume();
}
