// Standard padded base64 into and out of byte arrays, so session keys never pass through
// immutable JS strings (which cannot be zeroed) on the sending side.
const ALPHABET = new TextEncoder().encode("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/");
const PAD = 61; // "="

export function encodeBase64(bytes: Uint8Array): Uint8Array {
  const out = new Uint8Array(Math.ceil(bytes.length / 3) * 4);
  let o = 0;
  for (let i = 0; i < bytes.length; i += 3) {
    const b0 = bytes[i] ?? 0;
    const b1 = bytes[i + 1] ?? 0;
    const b2 = bytes[i + 2] ?? 0;
    const remaining = bytes.length - i;
    out[o++] = ALPHABET[b0 >> 2] ?? PAD;
    out[o++] = ALPHABET[((b0 & 3) << 4) | (b1 >> 4)] ?? PAD;
    out[o++] = remaining > 1 ? (ALPHABET[((b1 & 15) << 2) | (b2 >> 6)] ?? PAD) : PAD;
    out[o++] = remaining > 2 ? (ALPHABET[b2 & 63] ?? PAD) : PAD;
  }
  return out;
}
