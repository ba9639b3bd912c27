import { describe, expect, test } from "bun:test";
import { createCipheriv } from "node:crypto";
import fc from "fast-check";
import {
  CodecError,
  decryptBlob,
  decryptData,
  encryptValue,
  generateSessionKey,
  parseBlob,
} from "../src/index.ts";

const KEY = new Uint8Array(32).map((_, i) => i + 1);

function codecError(run: () => unknown): CodecError {
  try {
    run();
  } catch (error) {
    if (error instanceof CodecError) return error;
    throw error;
  }
  throw new Error("expected a CodecError");
}

describe("encryptValue", () => {
  test("produces ENC[kpm:<sid>:<padded standard base64>] of nonce, ciphertext and tag", () => {
    const blob = encryptValue(KEY, "s0a1b2c3d", "hunter22");
    expect(blob).toMatch(/^ENC\[kpm:s0a1b2c3d:[A-Za-z0-9+/]+={0,2}\]$/);
    const { data } = parseBlob(blob);
    expect(data.byteLength).toBe(12 + 8 + 16);
  });

  test("uses a fresh nonce for every value", () => {
    const first = parseBlob(encryptValue(KEY, "s1", "same")).data.subarray(0, 12);
    const second = parseBlob(encryptValue(KEY, "s1", "same")).data.subarray(0, 12);
    expect(Buffer.from(first).equals(Buffer.from(second))).toBe(false);
  });

  test("is readable by an independent AES-GCM implementation (WebCrypto, no AAD)", async () => {
    const { data } = parseBlob(encryptValue(KEY, "s1", "päss✓word"));
    const key = await crypto.subtle.importKey("raw", KEY, "AES-GCM", false, ["decrypt"]);
    const plain = await crypto.subtle.decrypt(
      { name: "AES-GCM", iv: data.slice(0, 12), tagLength: 128 },
      key,
      data.slice(12),
    );
    expect(new TextDecoder().decode(plain)).toBe("päss✓word");
  });

  test("refuses a key that is not 32 bytes and a session id that could not be parsed back", () => {
    expect(codecError(() => encryptValue(new Uint8Array(16), "s1", "x")).code).toBe("invalid_blob");
    expect(codecError(() => encryptValue(KEY, "", "x")).code).toBe("invalid_blob");
    expect(codecError(() => encryptValue(KEY, "a:b", "x")).code).toBe("invalid_blob");
    expect(codecError(() => encryptValue(KEY, "a]", "x")).code).toBe("invalid_blob");
  });
});

describe("decryptBlob", () => {
  test("decrypts a blob built by hand with a fixed nonce (v0.2.1 layout)", () => {
    const nonce = Buffer.alloc(12, 7);
    const cipher = createCipheriv("aes-256-gcm", KEY, nonce);
    const ct = Buffer.concat([cipher.update("db-password", "utf8"), cipher.final()]);
    const b64 = Buffer.concat([nonce, ct, cipher.getAuthTag()]).toString("base64");
    expect(decryptBlob(KEY, `ENC[kpm:sdeadbeef:${b64}]`)).toEqual({
      sessionId: "sdeadbeef",
      plaintext: "db-password",
    });
  });

  test("round-trips arbitrary UTF-8 including the empty string", () => {
    const key = generateSessionKey();
    fc.assert(
      fc.property(fc.string({ unit: "grapheme" }), (value) => {
        const blob = encryptValue(key, "s12345678", value);
        expect(decryptBlob(key, blob)).toEqual({ sessionId: "s12345678", plaintext: value });
      }),
    );
    expect(decryptBlob(key, encryptValue(key, "s1", "")).plaintext).toBe("");
  });

  test("round-trips a 1 MiB value", () => {
    const key = generateSessionKey();
    const value = "ab✓".repeat(Math.ceil((1 << 20) / 3)).slice(0, 1 << 20);
    expect(decryptBlob(key, encryptValue(key, "s1", value)).plaintext).toBe(value);
  });

  test("any single-bit flip of the data fails to decrypt", () => {
    const key = generateSessionKey();
    const data = parseBlob(encryptValue(key, "s1", "a secret value")).data;
    fc.assert(
      fc.property(fc.integer({ min: 0, max: data.byteLength * 8 - 1 }), (bit) => {
        const tampered = data.slice();
        tampered[bit >> 3] = (tampered[bit >> 3] ?? 0) ^ (1 << (bit & 7));
        const error = codecError(() => decryptData(key, tampered));
        expect(error.code).toBe("decrypt_failed");
        expect(error.message).toBe("decrypt failed");
      }),
    );
  });

  test("a wrong key fails with decrypt failed", () => {
    const blob = encryptValue(KEY, "s1", "value");
    expect(codecError(() => decryptBlob(generateSessionKey(), blob)).message).toBe("decrypt failed");
  });

  test("data shorter than nonce plus tag (28 bytes) fails with decrypt failed", () => {
    expect(codecError(() => decryptData(KEY, new Uint8Array(27))).message).toBe("decrypt failed");
    expect(codecError(() => decryptBlob(KEY, "ENC[kpm:s1:]")).message).toBe("decrypt failed");
    // 28 bytes is long enough to try, and fails authentication instead.
    expect(codecError(() => decryptData(KEY, new Uint8Array(28))).code).toBe("decrypt_failed");
  });
});

describe("parseBlob", () => {
  test("splits at the first colon: the rest must be base64", () => {
    const error = codecError(() => parseBlob("ENC[kpm:s1:ab:c]"));
    expect(error.message).toBe("decode ciphertext: illegal base64 data at input byte 2");
  });

  test("rejects text that is not an ENC blob with its byte length only", () => {
    for (const [input, bytes] of [
      ["", 0],
      ["hunter2-secret", 14],
      ["ENC[kpm:", 8],
      ["ENC[kpm:s1:AAAA", 15],
      ["enc[kpm:s1:AAAA]", 16],
      ["ENC[kpm-strict:s1:e30=]", 23],
      ["pässwörd", 10],
    ] as const) {
      const error = codecError(() => parseBlob(input));
      expect(error.code).toBe("invalid_blob");
      expect(error.message).toBe(
        `invalid blob format (expected ENC[kpm:<sid>:<base64>], got ${bytes} bytes)`,
      );
    }
  });

  test("requires a non-empty session id followed by a colon", () => {
    for (const input of ["ENC[kpm:]", "ENC[kpm:nocolon]", "ENC[kpm::AAAA]"]) {
      expect(codecError(() => parseBlob(input)).message).toBe("invalid blob: expected sessionID:ciphertext");
    }
  });

  test("rejects base64 that is unpadded, URL-safe or padded wrongly, naming only the offset", () => {
    const cases: Array<[string, number]> = [
      ["AAA", 0],
      ["AAAAAA", 4],
      ["AA-_", 2],
      ["A===", 1],
      ["AA=A", 2],
      ["AA=", 3],
      ["AAA=AAAA", 4],
      ["AA==AAAA", 4],
      ["AAAA\nAAAA", 4],
      ["AAAA AAAA", 4],
      ["AAAAé", 4],
    ];
    for (const [encoded, offset] of cases) {
      const error = codecError(() => parseBlob(`ENC[kpm:s1:${encoded}]`));
      expect(error.code).toBe("invalid_blob");
      expect(error.message).toBe(`decode ciphertext: illegal base64 data at input byte ${offset}`);
    }
  });

  test("accepts exactly what Buffer encodes, for any bytes", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 100 }), (bytes) => {
        const encoded = Buffer.from(bytes).toString("base64");
        const parsed = parseBlob(`ENC[kpm:s1:${encoded}]`);
        expect(Buffer.from(parsed.data).equals(Buffer.from(bytes))).toBe(true);
      }),
    );
  });

  test("error messages never echo the input", () => {
    fc.assert(
      // The "#" markers make the value impossible to find in any fixed message text.
      fc.property(
        fc.string({ minLength: 4 }).map((s) => `#${s}#`),
        (secret) => {
          for (const input of [secret, `ENC[kpm:${secret}]`, `ENC[kpm:s1:${secret}]`]) {
            try {
              parseBlob(input);
            } catch (error) {
              expect(error).toBeInstanceOf(CodecError);
              expect((error as CodecError).message.includes(secret)).toBe(false);
            }
          }
        },
      ),
    );
  });
});
