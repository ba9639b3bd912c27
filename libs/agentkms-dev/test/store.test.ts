import { afterAll, describe, expect, test } from "bun:test";
import { generateKeyPairSync } from "node:crypto";
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DevError } from "../src/errors.ts";
import { SecretStore } from "../src/store.ts";
import { decryptStore, deriveStoreKey } from "../src/store-crypto.ts";

const roots: string[] = [];

afterAll(() => {
  for (const root of roots) rmSync(root, { recursive: true, force: true });
});

function newServerKey(): string {
  const { privateKey } = generateKeyPairSync("ec", { namedCurve: "P-256" });
  return privateKey.export({ type: "sec1", format: "pem" }).toString();
}

/** A data dir with only a server.key, which is all the store needs. */
function dataDir(): string {
  const dir = mkdtempSync(join(tmpdir(), "kpm-store-"));
  roots.push(dir);
  writeFileSync(join(dir, "server.key"), newServerKey(), { mode: 0o600 });
  return dir;
}

function decryptFile(dir: string) {
  const key = deriveStoreKey(readFileSync(join(dir, "server.key"), "utf8"));
  return Object.fromEntries(decryptStore(key, new Uint8Array(readFileSync(join(dir, "secrets.enc")))));
}

async function rejection(promise: Promise<unknown>): Promise<DevError> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof DevError) return error;
    throw error;
  }
  throw new Error("expected a DevError");
}

function thrown(fn: () => unknown): DevError {
  try {
    fn();
  } catch (error) {
    if (error instanceof DevError) return error;
    throw error;
  }
  throw new Error("expected a DevError");
}

describe("SecretStore.read", () => {
  test("a missing store reads as empty and does not need server.key", () => {
    const dir = mkdtempSync(join(tmpdir(), "kpm-store-"));
    roots.push(dir);
    const store = new SecretStore(dir);
    expect(store.exists()).toBe(false);
    expect(store.read().size).toBe(0);
  });

  test("an unchanged file is served from the index without decrypting again", async () => {
    const dir = dataDir();
    const store = new SecretStore(dir);
    await store.update((kv) => kv.set("kv/data/llm/anthropic", { api_key: "k1" }));
    const first = store.read();
    // Making server.key unreadable proves no re-derivation or decryption happens on a cache hit.
    rmSync(join(dir, "server.key"));
    expect(store.read()).toBe(first);
    expect(first.get("kv/data/llm/anthropic")).toEqual({ api_key: "k1" });
  });

  test("a change written by another process (another store instance) is picked up", async () => {
    const dir = dataDir();
    const server = new SecretStore(dir);
    const cli = new SecretStore(dir);
    expect(server.read().size).toBe(0);
    await cli.update((kv) => kv.set("kv/data/generic/db/prod", { host: "db", port: "5432" }));
    expect(server.read().get("kv/data/generic/db/prod")).toEqual({ host: "db", port: "5432" });
    await cli.update((kv) => kv.delete("kv/data/generic/db/prod"));
    expect(server.read().has("kv/data/generic/db/prod")).toBe(false);
    rmSync(join(dir, "secrets.enc"));
    expect(server.read().size).toBe(0);
  });

  test("an undecryptable file fails with store_corrupt and the exact message", () => {
    const dir = dataDir();
    writeFileSync(join(dir, "secrets.enc"), "definitely not an encrypted store");
    const error = thrown(() => new SecretStore(dir).read());
    expect(error.code).toBe("store_corrupt");
    expect(error.message).toBe(
      `cannot decrypt ${join(dir, "secrets.enc")} (wrong server.key or corrupt file); refusing to overwrite it`,
    );
  });

  test("a store written under another server.key is corrupt for this one", async () => {
    const dir = dataDir();
    await new SecretStore(dir).update((kv) => kv.set("kv/data/a", { value: "1" }));
    writeFileSync(join(dir, "server.key"), newServerKey());
    expect(thrown(() => new SecretStore(dir).read()).code).toBe("store_corrupt");
  });

  test("a store with no server.key cannot be opened", () => {
    const dir = dataDir();
    writeFileSync(join(dir, "secrets.enc"), new Uint8Array(64));
    rmSync(join(dir, "server.key"));
    const error = thrown(() => new SecretStore(dir).read());
    expect(error.code).toBe("no_pki");
    expect(error.message).toBe(`no server key in ${dir} (server.key); run: kpm dev enroll`);
  });

  test("a server.key that is not an EC key is reported as such", () => {
    const dir = dataDir();
    writeFileSync(join(dir, "secrets.enc"), new Uint8Array(64));
    writeFileSync(join(dir, "server.key"), "garbage");
    expect(thrown(() => new SecretStore(dir).read()).message).toBe(
      `${join(dir, "server.key")} is not a readable EC private key`,
    );
  });

  test("unreadable files are io errors naming the file", () => {
    const dir = dataDir();
    mkdirSync(join(dir, "secrets.enc"));
    const error = thrown(() => new SecretStore(dir).read());
    expect(error.code).toBe("io");
    expect(error.message).toStartWith(`read ${join(dir, "secrets.enc")}: `);

    const other = dataDir();
    writeFileSync(join(other, "secrets.enc"), new Uint8Array(64));
    rmSync(join(other, "server.key"));
    mkdirSync(join(other, "server.key"));
    expect(thrown(() => new SecretStore(other).read()).message).toStartWith(
      `read ${join(other, "server.key")}: `,
    );
  });
});

describe("SecretStore.update", () => {
  test("writes an fsync'd 0600 file readable with the agentkms-dev algorithm, leaving no .tmp or .lock", async () => {
    const dir = dataDir();
    const store = new SecretStore(dir);
    const previous = process.umask(0);
    try {
      const result = await store.update((kv) => {
        kv.set("kv/data/generic/app/dsn", { url: "postgres://u:p@h/db?x=<y>&z" });
        return "returned";
      });
      expect(result).toBe("returned");
    } finally {
      process.umask(previous);
    }
    expect(store.exists()).toBe(true);
    expect(statSync(join(dir, "secrets.enc")).mode & 0o777).toBe(0o600);
    expect(decryptFile(dir)).toEqual({ "kv/data/generic/app/dsn": { url: "postgres://u:p@h/db?x=<y>&z" } });
    expect(readdirSync(dir).sort()).toEqual(["secrets.enc", "server.key"]);
  });

  test("mutate sees a copy: changing it does not touch the index until written", async () => {
    const dir = dataDir();
    const store = new SecretStore(dir);
    await store.update((kv) => kv.set("kv/data/a", { value: "1" }));
    const before = store.read();
    await store.update((kv) => {
      const fields = kv.get("kv/data/a");
      if (fields) fields["value"] = "2";
    });
    expect(before.get("kv/data/a")).toEqual({ value: "1" });
    expect(store.read().get("kv/data/a")).toEqual({ value: "2" });
    expect(decryptFile(dir)).toEqual({ "kv/data/a": { value: "2" } });
  });

  test("if mutate throws, nothing is written and the lock is released", async () => {
    const dir = dataDir();
    const store = new SecretStore(dir);
    await store.update((kv) => kv.set("kv/data/a", { value: "1" }));
    const bytes = readFileSync(join(dir, "secrets.enc"));
    await expect(
      store.update((kv) => {
        kv.set("kv/data/a", { value: "changed" });
        throw new Error("handler failed");
      }),
    ).rejects.toThrow("handler failed");
    expect(readFileSync(join(dir, "secrets.enc"))).toEqual(bytes);
    expect(store.read().get("kv/data/a")).toEqual({ value: "1" });
    expect(existsSync(join(dir, "secrets.enc.lock"))).toBe(false);
    await store.update((kv) => kv.set("kv/data/b", { value: "2" }));
    expect(decryptFile(dir)).toEqual({ "kv/data/a": { value: "1" }, "kv/data/b": { value: "2" } });
  });

  test("an update that changes nothing does not rewrite the file", async () => {
    const dir = dataDir();
    const store = new SecretStore(dir);
    await store.update((kv) => kv.set("kv/data/a", { value: "1", other: "x" }));
    const { ino } = statSync(join(dir, "secrets.enc"));
    const found = await store.update((kv) => {
      kv.set("kv/data/a", { other: "x", value: "1" });
      return kv.has("kv/data/a");
    });
    expect(found).toBe(true);
    expect(statSync(join(dir, "secrets.enc")).ino).toBe(ino);
  });

  test("a corrupt store is never overwritten and mutate is not called", async () => {
    const dir = dataDir();
    const garbage = new Uint8Array(100).fill(42);
    writeFileSync(join(dir, "secrets.enc"), garbage);
    let called = false;
    const error = await rejection(
      new SecretStore(dir).update((kv) => {
        called = true;
        kv.clear();
      }),
    );
    expect(error.code).toBe("store_corrupt");
    expect(called).toBe(false);
    expect(new Uint8Array(readFileSync(join(dir, "secrets.enc")))).toEqual(garbage);
    expect(existsSync(join(dir, "secrets.enc.lock"))).toBe(false);
  });

  test("without server.key an update fails before anything is written", async () => {
    const dir = dataDir();
    rmSync(join(dir, "server.key"));
    const error = await rejection(new SecretStore(dir).update((kv) => kv.set("kv/data/a", { value: "1" })));
    expect(error.code).toBe("no_pki");
    expect(existsSync(join(dir, "secrets.enc"))).toBe(false);
  });

  test("a write failure is an io error and leaves the previous store intact", async () => {
    const dir = dataDir();
    const store = new SecretStore(dir);
    await store.update((kv) => kv.set("kv/data/a", { value: "1" }));
    mkdirSync(join(dir, "secrets.enc.tmp"));
    const error = await rejection(store.update((kv) => kv.set("kv/data/a", { value: "2" })));
    expect(error.code).toBe("io");
    expect(error.message).toStartWith(`write ${join(dir, "secrets.enc")}: `);
    expect(error.message).not.toContain('"2"');
    expect(decryptFile(dir)).toEqual({ "kv/data/a": { value: "1" } });
    expect(store.read().get("kv/data/a")).toEqual({ value: "1" });
  });

  test("a replaced server.key is picked up for the next write", async () => {
    const dir = dataDir();
    const store = new SecretStore(dir);
    await store.update((kv) => kv.set("kv/data/a", { value: "1" }));
    rmSync(join(dir, "secrets.enc"));
    writeFileSync(join(dir, "server.key"), newServerKey());
    await store.update((kv) => kv.set("kv/data/b", { value: "2" }));
    expect(decryptFile(dir)).toEqual({ "kv/data/b": { value: "2" } });
  });

  test("concurrent updates from two instances in one process lose nothing", async () => {
    const dir = dataDir();
    const stores = [new SecretStore(dir), new SecretStore(dir)];
    await Promise.all(
      Array.from({ length: 50 }, (_, index) =>
        (stores[index % 2] ?? new SecretStore(dir)).update((kv) => {
          const value = Number(kv.get("kv/data/counter")?.["value"] ?? "0");
          kv.set("kv/data/counter", { value: String(value + 1) });
        }),
      ),
    );
    expect(decryptFile(dir)).toEqual({ "kv/data/counter": { value: "50" } });
  });

  test("four processes doing 25 increments each lose no update", async () => {
    const dir = dataDir();
    const script = join(import.meta.dir, "helpers", "increment.ts");
    const children = Array.from({ length: 4 }, () =>
      Bun.spawn([process.execPath, script, dir, "25"], { stdout: "pipe", stderr: "pipe" }),
    );
    const codes = await Promise.all(children.map((child) => child.exited));
    const errors = await Promise.all(children.map((child) => new Response(child.stderr).text()));
    expect(errors).toEqual(["", "", "", ""]);
    expect(codes).toEqual([0, 0, 0, 0]);
    const stored = decryptFile(dir)["kv/data/counter"] ?? {};
    expect(stored["value"]).toBe("100");
    // Every child's last increment is recorded, so all four really took part.
    for (const child of children) expect(stored[`by-${child.pid}`]).toBe("25");
    expect(readdirSync(dir).sort()).toEqual(["secrets.enc", "server.key"]);
  });
});
