// A stand-in agent for blocking-connection.test.ts, in its own process (BlockingConnection blocks
// its caller's thread). argv: socket path, behaviour.
//   echo     — answers each request line `{"id":N,"value":"<method>:N"}`, the lines of one read
//              in reverse order; it prints "batch <n>" to stdout for every read that held n lines
//   hangup   — closes the connection after the first line
// It prints "ready" once listening and exits when stdin closes.
const [path, behaviour] = process.argv.slice(2) as [string, string];

Bun.listen({
  unix: path,
  socket: {
    data(socket, chunk) {
      const lines = new TextDecoder()
        .decode(chunk)
        .split("\n")
        .filter((line) => line.length > 0);
      if (behaviour === "hangup") {
        socket.end();
        return;
      }
      console.log(`batch ${lines.length}`);
      const answers = lines.map((line) => {
        const { id, method } = JSON.parse(line) as { id: number; method: string };
        return `${JSON.stringify({ id, value: `${method}:${id}` })}\n`;
      });
      socket.write(answers.reverse().join(""));
    },
  },
});
console.log("ready");
for await (const _ of Bun.stdin.stream()) {
  // Until the test closes stdin.
}
process.exit(0);

export {};
