// secrets.enc files written by the real agentkms-dev v0.3.1 decrypt to exactly what it stored,
// and the bytes we would write for the same map are the bytes Go wrote.
import { describe, expect, test } from "bun:test";
import { cpSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DevError } from "../src/errors.ts";
import { SecretStore } from "../src/store.ts";
import { decryptStore, deriveStoreKey, encodeStorePlaintext, encryptStore } from "../src/store-crypto.ts";

const FIXTURES = join(import.meta.dir, "../../../test/fixtures/agentkms-dev-v0.3.1");

interface Expected {
  file_key_hex: string;
  plaintext_json: string;
  plaintext: Record<string, Record<string, string>>;
  wrong_file_key_from_padded_32_byte_ikm_hex?: string;
  ikm_length: number;
}

function load(name: string) {
  const dir = join(FIXTURES, name);
  const expected = JSON.parse(readFileSync(join(dir, "EXPECTED.json"), "utf8")) as Expected;
  return {
    dir,
    expected,
    serverKey: readFileSync(join(dir, "server.key"), "utf8"),
    secrets: new Uint8Array(readFileSync(join(dir, "secrets.enc"))),
  };
}

const hex = (bytes: Uint8Array) => Buffer.from(bytes).toString("hex");

for (const name of ["datadir", "leading-zero"]) {
  describe(`fixture ${name}`, () => {
    const fixture = load(name);

    test("the derived file key equals the one agentkms-dev used", () => {
      expect(hex(deriveStoreKey(fixture.serverKey))).toBe(fixture.expected.file_key_hex);
    });

    test("secrets.enc decrypts to exactly the expected map", () => {
      const kv = decryptStore(deriveStoreKey(fixture.serverKey), fixture.secrets);
      expect(Object.fromEntries(kv)).toEqual(fixture.expected.plaintext);
    });

    test("our encoding of the map is byte-identical to Go's plaintext", () => {
      expect(new TextDecoder().decode(encodeStorePlaintext(fixture.expected.plaintext))).toBe(
        fixture.expected.plaintext_json,
      );
      const kv = decryptStore(deriveStoreKey(fixture.serverKey), fixture.secrets);
      expect(new TextDecoder().decode(encodeStorePlaintext(kv))).toBe(fixture.expected.plaintext_json);
    });

    test("a store we encrypt decrypts with the fixture's file key", () => {
      const key = Buffer.from(fixture.expected.file_key_hex, "hex");
      const written = encryptStore(
        deriveStoreKey(fixture.serverKey),
        encodeStorePlaintext(fixture.expected.plaintext),
      );
      expect(Object.fromEntries(decryptStore(key, written))).toEqual(fixture.expected.plaintext);
    });

    test("SecretStore opens the data dir as it is", () => {
      const store = new SecretStore(fixture.dir);
      expect(Object.fromEntries(store.read())).toEqual(fixture.expected.plaintext);
    });
  });
}

describe("leading-zero private scalar", () => {
  const fixture = load("leading-zero");

  test("the IKM is the stripped 31-byte scalar; the padded 32-byte IKM's key cannot decrypt", () => {
    expect(fixture.expected.ikm_length).toBe(31);
    const wrongKey = Buffer.from(fixture.expected.wrong_file_key_from_padded_32_byte_ikm_hex ?? "", "hex");
    expect(wrongKey).toHaveLength(32);
    expect(hex(deriveStoreKey(fixture.serverKey))).not.toBe(hex(wrongKey));
    expect(() => decryptStore(wrongKey, fixture.secrets)).toThrow(DevError);
  });

  test("SecretStore writes a store in that dir that still decrypts with Go's key", async () => {
    const dir = mkdtempSync(join(tmpdir(), "kpm-lz-"));
    try {
      cpSync(fixture.dir, dir, { recursive: true });
      const store = new SecretStore(dir);
      await store.update((kv) => {
        kv.set("kv/data/generic/lz/second", { value: "fixture-second" });
      });
      const key = Buffer.from(fixture.expected.file_key_hex, "hex");
      const kv = decryptStore(key, new Uint8Array(readFileSync(join(dir, "secrets.enc"))));
      expect(Object.fromEntries(kv)).toEqual({
        ...fixture.expected.plaintext,
        "kv/data/generic/lz/second": { value: "fixture-second" },
      });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
