import { expect, test } from "bun:test";
import { rmSync } from "node:fs";
import { join } from "node:path";
import { SecretStore } from "../src/store.ts";
import { clientCredentials, DevClient, enrolledDir } from "./helpers/dev-server.ts";

const WRITERS = 8;

async function spawnServer(
  dir: string,
): Promise<{ child: Bun.Subprocess<"ignore", "pipe", "inherit">; port: number }> {
  const child = Bun.spawn([process.execPath, join(import.meta.dir, "helpers", "serve-child.ts"), dir], {
    stdin: "ignore",
    stdout: "pipe",
    stderr: "inherit",
  });
  const reader = child.stdout.getReader();
  let text = "";
  while (!/PORT \d+/.test(text)) {
    const { value, done } = await reader.read();
    if (done) throw new Error(`server exited early: ${text}`);
    text += new TextDecoder().decode(value);
  }
  reader.releaseLock();
  return { child, port: Number(/PORT (\d+)/.exec(text)?.[1]) };
}

test("SIGKILL during 8 concurrent writers loses no acknowledged write and leaves versions contiguous", async () => {
  const dir = await enrolledDir();
  const first = await spawnServer(dir);
  const client = new DevClient(first.port, clientCredentials(dir));
  await client.login();
  const acked = new Array<number>(WRITERS).fill(0);
  let total = 0;
  let killed = false;
  const writer = async (w: number) => {
    for (let seq = 1; !killed; seq++) {
      try {
        const reply = await client.call("POST", `/secrets/dur/w${w}`, { body: `{"value":"w${w}-${seq}"}` });
        if (reply.status !== 200 && reply.status !== 201) throw new Error(`status ${reply.status}`);
        const version = (JSON.parse(reply.text) as { version: number }).version;
        expect(version).toBe(seq);
        acked[w] = version;
        total++;
      } catch {
        return;
      }
    }
  };
  const writers = Array.from({ length: WRITERS }, (_, w) => writer(w));
  while (total < 80) await Bun.sleep(5);
  first.child.kill("SIGKILL");
  killed = true;
  await first.child.exited;
  await Promise.all(writers);

  // The store decrypts and holds every acknowledged write, with every version archived in order.
  const kv = new SecretStore(dir).read();
  for (let w = 0; w < WRITERS; w++) {
    const meta = kv.get(`kv/data/metadata/dur/w${w}`);
    const current = Number(meta?.["meta_version"] ?? 0);
    expect(current).toBeGreaterThanOrEqual(acked[w] ?? 0);
    // At most the one in-flight write may have landed without its acknowledgement.
    expect(current).toBeLessThanOrEqual((acked[w] ?? 0) + 1);
    expect(kv.get(`kv/data/secrets/dur/w${w}`)).toEqual({ value: `w${w}-${current}` });
    for (let v = 1; v < current; v++) {
      expect(kv.get(`kv/data/secrets/dur/w${w}/v${v}`)).toEqual({ value: `w${w}-${v}` });
    }
  }

  // A restarted server takes over the dead server's lock and serves and accepts writes.
  const second = await spawnServer(dir);
  try {
    const again = new DevClient(second.port, clientCredentials(dir));
    await again.login();
    expect((await again.json("GET", "/secrets/dur/w0")).body).toEqual(kv.get("kv/data/secrets/dur/w0") ?? {});
    expect((await again.call("POST", "/secrets/dur/w0", { body: '{"value":"after"}' })).status).toBe(200);
  } finally {
    second.child.kill("SIGTERM");
    await second.child.exited;
    rmSync(dir, { recursive: true, force: true });
  }
});
