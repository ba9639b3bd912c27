// Child-process entry for durability tests: serves <dir> on an ephemeral port and prints "PORT <n>".
import { startDevServer } from "../../src/server.ts";

const dir = process.argv[2];
if (!dir) throw new Error("usage: serve-child.ts <dir>");
const server = await startDevServer({ dir, host: "127.0.0.1", port: 0 });
console.log(`PORT ${server.port}`);
process.on("SIGTERM", () => {
  server.close(1000).then(() => process.exit(0));
});
