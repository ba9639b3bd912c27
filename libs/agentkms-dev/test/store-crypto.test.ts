import { describe, expect, test } from "bun:test";
import { spawnSync } from "node:child_process";
import { generateKeyPairSync } from "node:crypto";
import fc from "fast-check";
import { DevError } from "../src/errors.ts";
import { decryptStore, deriveStoreKey, encodeStorePlaintext, encryptStore } from "../src/store-crypto.ts";

const encoder = new TextEncoder();
const decoder = new TextDecoder();
const KEY = new Uint8Array(32).fill(7);

function sec1Pem(): string {
  const { privateKey } = generateKeyPairSync("ec", { namedCurve: "P-256" });
  return privateKey.export({ type: "sec1", format: "pem" }).toString();
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

// Any Unicode scalar values (no lone surrogates: stored strings are UTF-8, as in Go).
const text = fc.string({ unit: "binary", maxLength: 12 });
const fieldMap = fc.dictionary(text, text, { maxKeys: 4 });
const storeMap = fc.dictionary(text, fieldMap, { maxKeys: 5 });

/**
 * An independent oracle for Go's json.Marshal: Python sorts keys by code point (= UTF-8 byte
 * order) and escapes control characters like Go ≥ 1.22; Go's HTML and U+2028/9 escapes are
 * applied after, which is safe because those characters only ever appear unescaped.
 */
function pythonGoJson(maps: Record<string, Record<string, string>>[]): string[] {
  const script = `
import json, sys
out = []
for m in json.load(sys.stdin):
    s = json.dumps(m, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    for raw, esc in (("<", "\\\\u003c"), (">", "\\\\u003e"), ("&", "\\\\u0026"), ("\\u2028", "\\\\u2028"), ("\\u2029", "\\\\u2029")):
        s = s.replace(raw, esc)
    out.append(s)
sys.stdout.write(json.dumps(out))
`;
  const run = spawnSync("python3", ["-c", script], { input: JSON.stringify(maps), encoding: "utf8" });
  if (run.status !== 0) throw new Error(run.stderr);
  return JSON.parse(run.stdout) as string[];
}

describe("encodeStorePlaintext", () => {
  test("matches a Go-compatible oracle byte for byte on random maps", () => {
    const samples = fc.sample(storeMap, { numRuns: 300, seed: 42 });
    const expected = pythonGoJson(samples);
    samples.forEach((sample, index) => {
      expect(decoder.decode(encodeStorePlaintext(sample))).toBe(expected[index] ?? "");
    });
  });

  test("round-trips through any JSON reader", () => {
    fc.assert(
      fc.property(storeMap, (map) => {
        const parsed = JSON.parse(decoder.decode(encodeStorePlaintext(map)));
        expect(parsed).toEqual(map);
      }),
    );
  });

  test("never emits raw control characters, <, >, &, U+2028 or U+2029", () => {
    fc.assert(
      fc.property(storeMap, (map) => {
        expect(decoder.decode(encodeStorePlaintext(map))).not.toMatch(/[\u0000-\u001f<>&\u2028\u2029]/);
      }),
    );
  });

  test("a Map and a plain object with the same entries encode identically", () => {
    fc.assert(
      fc.property(storeMap, (map) => {
        expect(encodeStorePlaintext(new Map(Object.entries(map)))).toEqual(encodeStorePlaintext(map));
      }),
    );
  });

  test("sorts by UTF-8 bytes, not UTF-16 code units", () => {
    // UTF-16 puts U+1F600 (0xD83D 0xDE00) before U+FF5E; UTF-8, like Go, puts it after (F0… > EF…).
    const encoded = decoder.decode(encodeStorePlaintext({ "\u{1F600}": {}, "\uFF5E": {} }));
    expect(encoded).toBe('{"\uFF5E":{},"\u{1F600}":{}}');
  });
});

describe("deriveStoreKey", () => {
  test("gives a 32-byte key, the same for the SEC1 and PKCS#8 forms of one key", () => {
    const { privateKey } = generateKeyPairSync("ec", { namedCurve: "P-256" });
    const sec1 = deriveStoreKey(privateKey.export({ type: "sec1", format: "pem" }).toString());
    const pkcs8 = deriveStoreKey(privateKey.export({ type: "pkcs8", format: "pem" }).toString());
    expect(sec1).toHaveLength(32);
    expect(sec1).toEqual(pkcs8);
    expect(deriveStoreKey(sec1Pem())).not.toEqual(sec1);
  });

  test("rejects keys that are not P-256 EC keys", () => {
    const rsa = generateKeyPairSync("rsa", { modulusLength: 1024 }).privateKey.export({
      type: "pkcs8",
      format: "pem",
    });
    const ed = generateKeyPairSync("ed25519").privateKey.export({ type: "pkcs8", format: "pem" });
    for (const pem of [rsa.toString(), ed.toString()]) {
      expect(thrown(() => deriveStoreKey(pem)).code).toBe("store_corrupt");
    }
  });
});

describe("encryptStore / decryptStore", () => {
  test("round-trips any map with a fresh nonce each time; layout is nonce ‖ ciphertext ‖ tag", () => {
    fc.assert(
      fc.property(storeMap, (map) => {
        const plaintext = encodeStorePlaintext(map);
        const first = encryptStore(KEY, plaintext);
        const second = encryptStore(KEY, plaintext);
        expect(first).toHaveLength(12 + plaintext.length + 16);
        expect(first.subarray(0, 12)).not.toEqual(second.subarray(0, 12));
        expect(Object.fromEntries(decryptStore(KEY, first))).toEqual(map);
      }),
      { numRuns: 50 },
    );
  });

  test("any flipped byte is detected as corruption", () => {
    const sealed = encryptStore(KEY, encodeStorePlaintext({ "kv/data/a": { value: "secret-value" } }));
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: sealed.length - 1 }),
        fc.integer({ min: 1, max: 255 }),
        (at, xor) => {
          const tampered = sealed.slice();
          tampered[at] = (tampered[at] ?? 0) ^ xor;
          const error = thrown(() => decryptStore(KEY, tampered));
          expect(error.code).toBe("store_corrupt");
          expect(error.message).not.toContain("secret-value");
        },
      ),
      { numRuns: 100 },
    );
  });

  test("a file shorter than nonce and tag is corrupt", () => {
    expect(thrown(() => decryptStore(KEY, new Uint8Array(27))).message).toBe(
      "secrets store is too short to be encrypted data",
    );
  });

  test("authentic plaintext that is not a map of string maps is corrupt, without leaking values", () => {
    const cases: [string, string][] = [
      ["not json", "secrets store plaintext is not JSON"],
      ["[1,2]", "secrets store plaintext is not a JSON object"],
      ["null", "secrets store plaintext is not a JSON object"],
      ['{"kv/data/x":"hunter2"}', 'secrets store entry "kv/data/x" is not a map of strings'],
      ['{"kv/data/x":{"n":42}}', 'secrets store entry "kv/data/x" is not a map of strings'],
    ];
    for (const [plaintext, message] of cases) {
      const error = thrown(() => decryptStore(KEY, encryptStore(KEY, encoder.encode(plaintext))));
      expect(error.code).toBe("store_corrupt");
      expect(error.message).toBe(message);
    }
  });

  test('a field named "__proto__" stays an ordinary field', () => {
    const kv = decryptStore(KEY, encryptStore(KEY, encoder.encode('{"kv/data/x":{"__proto__":"v"}}')));
    const fields = kv.get("kv/data/x") ?? {};
    expect(Object.keys(fields)).toEqual(["__proto__"]);
    expect(Object.getPrototypeOf(fields)).toBe(Object.prototype);
    expect(decoder.decode(encodeStorePlaintext(kv))).toBe('{"kv/data/x":{"__proto__":"v"}}');
  });
});
