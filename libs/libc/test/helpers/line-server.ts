// A Unix-socket peer for unix-client.test.ts, in its own process (unixRequest blocks its caller's
// thread, so a peer in the test process could never answer). argv: socket path, behaviour.
//   answer  — reads a line, writes "got <line>\nextra\n"
//   chunks  — reads a line, writes its answer a few bytes at a time, 20 ms apart
//   silent  — accepts and never writes
//   close   — reads a line, writes "partial" (no newline) and closes
//   big     — reads a line, writes 300 KiB without a newline
//   bigline — reads a line, writes a 300 KiB line (and its newline) in one write
// It prints "ready" once listening and exits when stdin closes.
const [path, behaviour] = process.argv.slice(2) as [string, string];

function answer(socket: Peer, line: string): void {
  if (behaviour === "answer") socket.write(`got ${line}\nextra\n`);
  else if (behaviour === "close") {
    socket.write("partial");
    socket.end();
  } else if (behaviour === "big") socket.write(new Uint8Array(300 * 1024).fill(120));
  else if (behaviour === "bigline") writeAll(socket, new TextEncoder().encode(`${"y".repeat(300 * 1024)}\n`));
  else if (behaviour === "chunks") {
    const text = `got ${line}\n`;
    let at = 0;
    const next = () => {
      socket.write(text.slice(at, at + 3));
      at += 3;
      if (at < text.length) setTimeout(next, 20);
    };
    next();
  }
}

type Peer = { write(data: string | Uint8Array): number; end(): void };
const unsent = new Map<Peer, Uint8Array>();

/** Writes all of `bytes`: what the socket does not take now goes on each drain. */
function writeAll(socket: Peer, bytes: Uint8Array): void {
  const written = socket.write(bytes);
  if (written < bytes.byteLength) unsent.set(socket, bytes.subarray(Math.max(0, written)));
  else unsent.delete(socket);
}

Bun.listen({
  unix: path,
  socket: {
    drain(socket) {
      const rest = unsent.get(socket);
      if (rest !== undefined) writeAll(socket, rest);
    },
    data(socket, chunk) {
      const text = new TextDecoder().decode(chunk);
      const newline = text.indexOf("\n");
      if (newline !== -1) answer(socket, text.slice(0, newline));
    },
  },
});
console.log("ready");
for await (const _ of Bun.stdin.stream()) {
  // Until the test closes stdin.
}
process.exit(0);

export {};
