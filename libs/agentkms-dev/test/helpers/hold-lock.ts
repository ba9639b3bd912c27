// Child process for lock.test.ts: takes the store lock of <dir>, prints "locked", holds it until
// stdin closes, then releases it.
import { withStoreLock } from "../../src/lock.ts";

const dir = process.argv[2];
if (!dir) throw new Error("usage: hold-lock.ts <dir>");
await withStoreLock(dir, async () => {
  console.log("locked");
  for await (const _ of Bun.stdin.stream()) {
    // Drain until the parent closes stdin.
  }
});
