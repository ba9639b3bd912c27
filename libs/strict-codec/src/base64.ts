// Strict standard-alphabet, padded base64. Buffer.from(…, "base64") silently skips junk, so
// input is validated first and the problem reported the way Go's base64.StdEncoding does
// ("illegal base64 data at input byte <n>"), never echoing the input itself.

const ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
const PAD = 0x3d; // "="

const IS_ALPHABET = new Uint8Array(128);
for (const char of ALPHABET) IS_ALPHABET[char.charCodeAt(0)] = 1;

function isAlphabet(code: number): boolean {
  return code < 128 && IS_ALPHABET[code] === 1;
}

/**
 * Exactly the texts findInvalidOffset accepts: whole quanta of the alphabet, the last one
 * optionally `xx==` or `xxx=`. One native match instead of a JS loop per character (~0.25 ms for
 * the ten blobs of an env-scan `kpm run`); the loop still finds the offset of a bad text.
 */
const VALID = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/** The offset Go would report for invalid input, or -1 when the text is valid. */
export function findInvalidOffset(text: string): number {
  const length = text.length;
  for (let quantum = 0; quantum < length; quantum += 4) {
    for (let j = 0; j < 4; j++) {
      const index = quantum + j;
      // Input ended inside a quantum: padding was required.
      if (index === length) return quantum;
      const code = text.charCodeAt(index);
      if (isAlphabet(code)) continue;
      if (code !== PAD || j < 2) return index;
      // "=" at j=2 must be followed by exactly one more "="; at j=3 it must end the text.
      if (j === 2) {
        if (index + 1 === length) return length;
        if (text.charCodeAt(index + 1) !== PAD) return index;
        return index + 2 < length ? index + 2 : -1;
      }
      return index + 1 < length ? index + 1 : -1;
    }
  }
  return -1;
}

/** Why `text` is not strict padded standard base64, or null when it is. */
export function base64Problem(text: string): string | null {
  if (VALID.test(text)) return null;
  const offset = findInvalidOffset(text);
  return offset === -1 ? null : `illegal base64 data at input byte ${offset}`;
}

/**
 * Decodes text already accepted by base64Problem. Uint8Array.fromBase64 is native; Buffer's
 * first base64 decode cost ~0.13 ms of every `kpm run` that scans blobs.
 */
export function decodeBase64(text: string): Uint8Array {
  return Uint8Array.fromBase64(text);
}

export function encodeBase64(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString("base64");
}
