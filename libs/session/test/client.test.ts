// The socket client against hand-written servers on real Unix sockets: response shapes,
// broken listeners, refused connections and missing sockets.
import { afterEach, describe, expect, test } from "bun:test";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { pingListener, requestDecrypt, SessionError } from "@kpm/session";
import { makePrivateDir, removeCreatedDirs } from "./helpers/fixtures.ts";

const servers: Array<{ stop(closeActiveConnections?: boolean): void }> = [];

afterEach(() => {
  for (const server of servers.splice(0)) server.stop(true);
  removeCreatedDirs();
});

/** A server that answers every request with `reply(requestText)` split into the given pieces. */
function serve(reply: (request: string) => string[] | null): { socket: string; requests: string[] } {
  const socket = join(makePrivateDir(), "s.sock");
  const requests: string[] = [];
  servers.push(
    Bun.listen({
      unix: socket,
      socket: {
        async data(connection, chunk) {
          const request = chunk.toString();
          requests.push(request);
          const pieces = reply(request);
          if (pieces === null) {
            connection.end();
            return;
          }
          for (const piece of pieces) {
            connection.write(piece);
            connection.flush();
            await Bun.sleep(2);
          }
          connection.end();
        },
      },
    }),
  );
  return { socket, requests };
}

async function failureOf(promise: Promise<unknown>): Promise<SessionError> {
  const error = await promise.then(
    () => null,
    (caught: unknown) => caught,
  );
  if (error instanceof SessionError) return error;
  throw new Error(`expected a SessionError, got ${String(error)}`);
}

describe("requestDecrypt", () => {
  test("sends one JSON line and reads a response split across writes", async () => {
    const server = serve(() => ['{"plain', 'text":"abc"}', "\n"]);
    expect(await requestDecrypt(server.socket, "ENC[kpm:s1:AAAA]")).toEqual({ ok: true, plaintext: "abc" });
    expect(server.requests.join("")).toBe('{"ciphertext":"ENC[kpm:s1:AAAA]"}\n');
  });

  test("sends a request larger than the socket buffer completely", async () => {
    const socket = join(makePrivateDir(), "big.sock");
    let received = 0;
    servers.push(
      Bun.listen({
        unix: socket,
        socket: {
          data(connection, chunk) {
            received += chunk.byteLength;
            if (chunk.includes(10)) connection.end(`{"plaintext":"${received}"}\n`);
          },
        },
      }),
    );
    const blob = "b".repeat(4 * 1024 * 1024);
    const expected = JSON.stringify({ ciphertext: blob }).length + 1;
    expect(await requestDecrypt(socket, blob)).toEqual({ ok: true, plaintext: String(expected) });
  });

  test("treats a response with neither field as the empty value", async () => {
    const server = serve(() => ["{}\n"]);
    expect(await requestDecrypt(server.socket, "b")).toEqual({ ok: true, plaintext: "" });
  });

  test("returns the listener's error", async () => {
    const server = serve(() => ['{"error":"session expired"}\n']);
    expect(await requestDecrypt(server.socket, "b")).toEqual({ ok: false, error: "session expired" });
  });

  test("accepts a final response without newline before close", async () => {
    const server = serve(() => ['{"plaintext":"no newline"}']);
    expect(await requestDecrypt(server.socket, "b")).toEqual({ ok: true, plaintext: "no newline" });
  });

  test("reports an unparsable response or a close without response as read errors", async () => {
    const garbage = serve(() => ["<html>\n"]);
    const failure = await failureOf(requestDecrypt(garbage.socket, "b"));
    expect(failure.code).toBe("read");
    expect(failure.message).toBe("the listener sent an unparsable response");
    const array = serve(() => ["[]\n"]);
    expect((await failureOf(requestDecrypt(array.socket, "b"))).code).toBe("read");
    const silent = serve(() => null);
    const closed = await failureOf(requestDecrypt(silent.socket, "b"));
    expect(closed.code).toBe("read");
    expect(closed.message).toBe("the listener closed the connection without a response");
  });

  test("reports a missing socket as no listener", async () => {
    const socket = join(makePrivateDir(), "gone.sock");
    const failure = await failureOf(requestDecrypt(socket, "ENC[kpm:s1:secret-looking]"));
    expect(failure.code).toBe("no_listener");
    expect(failure.message).toBe(`no decrypt listener at ${socket}`);
  });

  test("retries a refused connection while the socket file exists, then reports no listener", async () => {
    // A regular file at the path: connect() is refused, as for a dead listener's socket.
    const socket = join(makePrivateDir(), "dead.sock");
    writeFileSync(socket, "");
    const failure = await failureOf(requestDecrypt(socket, "b"));
    expect(failure.code).toBe("no_listener");
  });

  test("reports other connection failures as connect errors without the blob", async () => {
    // A path longer than sockaddr_un allows: connect() fails with EINVAL.
    const tooLong = join(makePrivateDir(), `${"x".repeat(120)}.sock`);
    const failure = await failureOf(requestDecrypt(tooLong, "ENC[kpm:s1:do-not-echo]"));
    expect(failure.code).toBe("connect");
    expect(failure.message).toBe("invalid argument");
    expect(failure.message).not.toContain("do-not-echo");
  });
});

describe("pingListener", () => {
  test("returns session, expiry and mode", async () => {
    const server = serve(() => ['{"session":"s1","expires_at":"2030-01-01T00:00:00Z","strict":false}\n']);
    expect(await pingListener(server.socket)).toEqual({
      session: "s1",
      expires_at: "2030-01-01T00:00:00Z",
      strict: false,
    });
    expect(server.requests.join("")).toBe('{"op":"ping"}\n');
  });

  test("returns null for odd answers and for no listener", async () => {
    for (const answer of [
      '{"session":1,"strict":true}\n',
      '{"session":"s","strict":true,"expires_at":5}\n',
      "x\n",
    ]) {
      const server = serve(() => [answer]);
      expect(await pingListener(server.socket)).toBeNull();
    }
    expect(await pingListener(join(makePrivateDir(), "none.sock"))).toBeNull();
  });
});
