// The secrets.enc format of agentkms-dev (wire §6.4): HKDF-SHA256 key from server.key's private
// scalar, AES-256-GCM over Go's json.Marshal of the KV map. Byte-compatible in both directions.
import { createCipheriv, createDecipheriv, createHash, createPrivateKey, hkdfSync } from "node:crypto";
import { goJsonString } from "@kpm/strict-codec/go-json";
import { DevError } from "./errors.ts";

/** A flat KV: full paths ("kv/data/secrets/<p>", "kv/data/generic/<p>", …) to string field maps. */
export type KV = Map<string, Record<string, string>>;

const HKDF_SALT = createHash("sha256").update("agentkms-dev-secrets").digest();
const HKDF_INFO = "agentkms-dev-kv-v1";
const NONCE_BYTES = 12;
const TAG_BYTES = 16;

/** The 32-byte file key derived from a SEC1 (or PKCS#8) PEM P-256 private key. */
export function deriveStoreKey(serverKeyPem: string): Uint8Array {
  const jwk = createPrivateKey(serverKeyPem).export({ format: "jwk" });
  if (jwk.kty !== "EC" || jwk.crv !== "P-256" || typeof jwk.d !== "string") {
    throw new DevError("store_corrupt", "server.key is not a P-256 EC private key");
  }
  const scalar = Buffer.from(jwk.d, "base64url");
  // Go feeds big.Int.Bytes() to HKDF, which drops leading zero bytes (about 1 key in 256);
  // JWK pads d to 32 bytes, so strip to derive the same key.
  let start = 0;
  while (start < scalar.length - 1 && scalar[start] === 0) start += 1;
  const ikm = scalar.subarray(start);
  const key = new Uint8Array(hkdfSync("sha256", ikm, HKDF_SALT, HKDF_INFO, 32));
  scalar.fill(0);
  return key;
}

/** nonce(12) ‖ AES-256-GCM ciphertext ‖ tag(16), no AAD. */
export function encryptStore(key: Uint8Array, plaintext: Uint8Array): Uint8Array {
  const nonce = crypto.getRandomValues(new Uint8Array(NONCE_BYTES));
  const cipher = createCipheriv("aes-256-gcm", key, nonce);
  const body = cipher.update(plaintext);
  const final = cipher.final();
  const tag = cipher.getAuthTag();
  const out = new Uint8Array(NONCE_BYTES + body.length + final.length + TAG_BYTES);
  out.set(nonce, 0);
  out.set(body, NONCE_BYTES);
  out.set(final, NONCE_BYTES + body.length);
  out.set(tag, NONCE_BYTES + body.length + final.length);
  body.fill(0);
  return out;
}

/** Decrypts and parses a store; a wrong key, a truncated file or a malformed map → store_corrupt. */
export function decryptStore(key: Uint8Array, bytes: Uint8Array): KV {
  if (bytes.length < NONCE_BYTES + TAG_BYTES) {
    throw new DevError("store_corrupt", "secrets store is too short to be encrypted data");
  }
  let plaintext: Buffer;
  try {
    const decipher = createDecipheriv("aes-256-gcm", key, bytes.subarray(0, NONCE_BYTES));
    decipher.setAuthTag(bytes.subarray(bytes.length - TAG_BYTES));
    plaintext = Buffer.concat([
      decipher.update(bytes.subarray(NONCE_BYTES, bytes.length - TAG_BYTES)),
      decipher.final(),
    ]);
  } catch (error) {
    throw new DevError("store_corrupt", "secrets store failed authentication (wrong key or corrupt data)", {
      cause: error,
    });
  }
  try {
    return parseStorePlaintext(plaintext.toString("utf8"));
  } finally {
    plaintext.fill(0);
  }
}

function parseStorePlaintext(text: string): KV {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new DevError("store_corrupt", "secrets store plaintext is not JSON", { cause: error });
  }
  if (!isPlainObject(parsed))
    throw new DevError("store_corrupt", "secrets store plaintext is not a JSON object");
  const kv: KV = new Map();
  for (const [path, fields] of Object.entries(parsed)) {
    if (!isPlainObject(fields) || !Object.values(fields).every((value) => typeof value === "string")) {
      // The path is not secret, field values are: name only the path.
      throw new DevError(
        "store_corrupt",
        `secrets store entry ${JSON.stringify(path)} is not a map of strings`,
      );
    }
    // fromEntries defines own properties, so a field named "__proto__" stays a field.
    kv.set(path, Object.fromEntries(Object.entries(fields as Record<string, string>)));
  }
  return kv;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/**
 * The exact bytes Go's json.Marshal writes for map[string]map[string]string: keys sorted by
 * UTF-8 byte order at both levels, no whitespace, HTML-safe escaping.
 */
export function encodeStorePlaintext(
  kv: ReadonlyMap<string, Record<string, string>> | Record<string, Record<string, string>>,
): Uint8Array {
  const entries: [string, Record<string, string>][] = isReadonlyMap(kv)
    ? [...kv.entries()]
    : Object.entries(kv);
  const parts: string[] = [];
  for (const [path, fields] of sortByUtf8(entries)) {
    const inner = sortByUtf8(Object.entries(fields)).map(
      ([name, value]) => `${goJsonString(name)}:${goJsonString(value)}`,
    );
    parts.push(`${goJsonString(path)}:{${inner.join(",")}}`);
  }
  return new TextEncoder().encode(`{${parts.join(",")}}`);
}

function isReadonlyMap<K, V>(value: ReadonlyMap<K, V> | object): value is ReadonlyMap<K, V> {
  return value instanceof Map;
}

function sortByUtf8<T>(entries: [string, T][]): [string, T][] {
  const encoder = new TextEncoder();
  const keyed = entries.map((entry) => ({ bytes: encoder.encode(entry[0]), entry }));
  keyed.sort((a, b) => Buffer.compare(a.bytes, b.bytes));
  return keyed.map((item) => item.entry);
}
