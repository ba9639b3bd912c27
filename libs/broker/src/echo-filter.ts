// Replaces every occurrence of one byte string with another in a stream, without holding back
// more than a partial match at a chunk's end: a chunk that cannot be the start of a match is
// passed on at once (server-sent events arrive as they are produced).

function indexOf(haystack: Uint8Array, needle: Uint8Array, from: number): number {
  return Buffer.from(haystack.buffer, haystack.byteOffset, haystack.byteLength).indexOf(needle, from);
}

/** Length of the longest suffix of `bytes` that is a proper prefix of `needle`. */
function partialSuffix(bytes: Uint8Array, needle: Uint8Array): number {
  const max = Math.min(bytes.length, needle.length - 1);
  for (let length = max; length > 0; length--) {
    let match = true;
    for (let index = 0; index < length; index++)
      if (bytes[bytes.length - length + index] !== needle[index]) {
        match = false;
        break;
      }
    if (match) return length;
  }
  return 0;
}

/** A TransformStream that writes `replacement` wherever `needle` appears. */
export function replaceStream(
  needle: Uint8Array,
  replacement: Uint8Array,
): TransformStream<Uint8Array, Uint8Array> {
  let carry = new Uint8Array(0);
  return new TransformStream({
    transform(chunk, controller) {
      let bytes = chunk;
      if (carry.length > 0) {
        bytes = new Uint8Array(carry.length + chunk.length);
        bytes.set(carry);
        bytes.set(chunk, carry.length);
      }
      const parts: Uint8Array[] = [];
      let start = 0;
      for (let found = indexOf(bytes, needle, 0); found !== -1; found = indexOf(bytes, needle, start)) {
        parts.push(bytes.subarray(start, found), replacement);
        start = found + needle.length;
      }
      const rest = bytes.subarray(start);
      const held = partialSuffix(rest, needle);
      parts.push(rest.subarray(0, rest.length - held));
      carry = rest.slice(rest.length - held);
      for (const part of parts) if (part.length > 0) controller.enqueue(part);
    },
    flush(controller) {
      if (carry.length > 0) controller.enqueue(carry);
    },
  });
}
