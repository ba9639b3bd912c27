// ENC blobs (§7.2): ENC[kpm:<sid>:<base64 of nonce(12) ‖ ciphertext ‖ tag(16)>], AES-256-GCM
// with the session key and no AAD — byte-compatible with kpm v0.2.1. node:crypto (~3 ms to load)
// only when a blob is sealed or opened: commands that only parse blobs (env-scan `kpm run`,
// `kpm decrypt`) never load it.

import { requireBuiltin } from "@kpm/deferred";
import { base64Problem, decodeStrictBase64, encodeBase64 } from "./base64.ts";
import { CodecError } from "./codec-error.ts";
import { SESSION_KEY_BYTES } from "./session-id.ts";

const PREFIX = "ENC[kpm:";
const SUFFIX = "]";
const NONCE_BYTES = 12;
const TAG_BYTES = 16;
const CIPHER = "aes-256-gcm";

export interface ParsedBlob {
  sessionId: string;
  data: Uint8Array;
}

export interface DecryptedBlob {
  sessionId: string;
  plaintext: string;
}

function checkSessionId(sessionId: string): void {
  // The parser splits at the first ":" and stops at "]", so such an id could not round-trip.
  if (sessionId === "" || sessionId.includes(":") || sessionId.includes("]")) {
    throw new CodecError("invalid_blob", "encrypt: session ID must be non-empty without ':' or ']'");
  }
}

export function encryptValue(key: Uint8Array, sessionId: string, plaintext: string): string {
  if (key.byteLength !== SESSION_KEY_BYTES) {
    throw new CodecError("invalid_blob", `encrypt: session key must be ${SESSION_KEY_BYTES} bytes`);
  }
  checkSessionId(sessionId);
  const nonce = crypto.getRandomValues(new Uint8Array(NONCE_BYTES));
  const plainBytes = Buffer.from(plaintext, "utf8");
  const cipher = requireBuiltin("node:crypto").createCipheriv(CIPHER, key, nonce);
  const body = cipher.update(plainBytes);
  const tail = cipher.final();
  const data = Buffer.concat([nonce, body, tail, cipher.getAuthTag()]);
  plainBytes.fill(0);
  return PREFIX + sessionId + ":" + encodeBase64(data) + SUFFIX;
}

export function parseBlob(blob: string): ParsedBlob {
  if (blob.length <= PREFIX.length || !blob.startsWith(PREFIX) || !blob.endsWith(SUFFIX)) {
    throw new CodecError(
      "invalid_blob",
      `invalid blob format (expected ENC[kpm:<sid>:<base64>], got ${utf8Length(blob)} bytes)`,
    );
  }
  const inner = blob.slice(PREFIX.length, -SUFFIX.length);
  const separator = inner.indexOf(":");
  if (separator <= 0) {
    throw new CodecError("invalid_blob", "invalid blob: expected sessionID:ciphertext");
  }
  const encoded = inner.slice(separator + 1);
  const data = decodeStrictBase64(encoded);
  if (data === null) throw new CodecError("invalid_blob", `decode ciphertext: ${base64Problem(encoded)}`);
  return { sessionId: inner.slice(0, separator), data };
}

/**
 * In a function of its own: the first call of a function that mentions Buffer initialises
 * Buffer (~0.1 ms), even when the mention is on a path that does not run.
 */
function utf8Length(text: string): number {
  return Buffer.byteLength(text, "utf8");
}

const UTF8 = new TextDecoder();

export function decryptData(key: Uint8Array, data: Uint8Array): string {
  if (data.byteLength < NONCE_BYTES + TAG_BYTES || key.byteLength !== SESSION_KEY_BYTES) {
    throw new CodecError("decrypt_failed", "decrypt failed");
  }
  const nonce = data.subarray(0, NONCE_BYTES);
  const tag = data.subarray(data.byteLength - TAG_BYTES);
  const ciphertext = data.subarray(NONCE_BYTES, data.byteLength - TAG_BYTES);
  const decipher = requireBuiltin("node:crypto").createDecipheriv(CIPHER, key, nonce);
  decipher.setAuthTag(tag);
  const body = decipher.update(ciphertext);
  try {
    // GCM is a stream mode: final() only verifies the tag and yields no further bytes.
    decipher.final();
    return UTF8.decode(body);
  } catch {
    throw new CodecError("decrypt_failed", "decrypt failed");
  } finally {
    // Zero the (possibly unauthenticated) plaintext bytes either way.
    body.fill(0);
  }
}

export function decryptBlob(key: Uint8Array, blob: string): DecryptedBlob {
  const { sessionId, data } = parseBlob(blob);
  return { sessionId, plaintext: decryptData(key, data) };
}
