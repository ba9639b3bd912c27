// Child process for store.test.ts: `bun increment.ts <dir> <count>` adds 1 to kv/data/counter
// `count` times through SecretStore.update, racing its siblings.
import { SecretStore } from "../../src/store.ts";

const [dir, count] = process.argv.slice(2);
if (!dir || !count) throw new Error("usage: increment.ts <dir> <count>");
const store = new SecretStore(dir);
for (let i = 0; i < Number(count); i += 1) {
  await store.update((kv) => {
    const fields = kv.get("kv/data/counter") ?? {};
    const value = Number(fields["value"] ?? "0");
    kv.set("kv/data/counter", { ...fields, value: String(value + 1), [`by-${process.pid}`]: String(i + 1) });
  });
}
