// The relay's backpressure rules with scripted sockets: a short write queues and pauses the
// sender, a drain writes the queue and resumes it, a closed peer ends the socket after its queue.
import { describe, expect, test } from "bun:test";
import type { Socket } from "bun";
import { flush, join, type Leg, newLeg, peerClosed, relay } from "../src/relay.ts";

interface Scripted {
  socket: Socket<Leg>;
  written: string[];
  events: string[];
  /** How many bytes the next writes accept (Infinity: all). */
  accept: number[];
}

function scripted(): Scripted {
  const state: Scripted = {
    socket: undefined as unknown as Socket<Leg>,
    written: [],
    events: [],
    accept: [],
  };
  const socket = {
    data: newLeg(null),
    write(bytes: Uint8Array) {
      const take = Math.min(bytes.length, state.accept.shift() ?? Number.POSITIVE_INFINITY);
      state.written.push(Buffer.from(bytes.subarray(0, take)).toString());
      return take;
    },
    pause: () => state.events.push("pause"),
    resume: () => state.events.push("resume"),
    end: () => state.events.push("end"),
  };
  state.socket = socket as unknown as Socket<Leg>;
  return state;
}

const bytes = (text: string) => Buffer.from(text);

describe("relay", () => {
  test("a short write queues the rest, pauses the sender; later bytes queue behind it", () => {
    const from = scripted();
    const to = scripted();
    join(from.socket, to.socket);
    to.accept.push(2);
    relay(from.socket, to.socket, bytes("abcdef"));
    relay(from.socket, to.socket, bytes("gh"));
    expect(to.written).toEqual(["ab"]);
    expect(from.events).toEqual(["resume", "pause"]);
    // A drain that takes part of the queue keeps the sender paused.
    to.accept.push(1);
    flush(to.socket);
    expect(to.written).toEqual(["ab", "c"]);
    expect(from.events).toEqual(["resume", "pause"]);
    flush(to.socket);
    expect(to.written).toEqual(["ab", "c", "def", "gh"]);
    expect(from.events).toEqual(["resume", "pause", "resume"]);
  });

  test("bytes received before the peer opened go out first", () => {
    const from = scripted();
    const to = scripted();
    from.socket.data.early.push(bytes("early"));
    join(from.socket, to.socket);
    expect(to.written).toEqual(["early"]);
  });

  test("a closed peer ends the socket at once, or once its queue is written", () => {
    const idle = scripted();
    peerClosed(idle.socket);
    expect(idle.events).toEqual(["end"]);
    peerClosed(null);
    const from = scripted();
    const busy = scripted();
    join(from.socket, busy.socket);
    busy.accept.push(0);
    relay(from.socket, busy.socket, bytes("xyz"));
    peerClosed(busy.socket);
    expect(busy.events).toEqual([]);
    flush(busy.socket);
    expect(busy.written).toEqual(["", "xyz"]);
    expect(busy.events).toEqual(["end"]);
  });
});
