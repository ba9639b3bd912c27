// Reads a stream (stdin) to its end under a size cap checked per chunk: past the cap the stream is
// cancelled, so `kpm add < /dev/zero` fails at once instead of filling memory.

import { BoundedReadError } from "./bounded-read-error.ts";

/**
 * The stream's bytes, at most `maxBytes` of them. Throws only BoundedReadError: `too_large`
 * (the whole size is not known: the rest is never read), or the reason the stream failed.
 * Every chunk is zeroed once copied or refused.
 */
export async function readStreamBounded(
  stream: ReadableStream<Uint8Array>,
  maxBytes: number,
): Promise<Uint8Array> {
  const reader = stream.getReader();
  const chunks: Uint8Array[] = [];
  let length = 0;
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      chunks.push(value);
      length += value.length;
      if (length > maxBytes) {
        await reader.cancel().catch(() => {});
        throw BoundedReadError.tooLarge("input", maxBytes);
      }
    }
  } catch (error) {
    for (const chunk of chunks) chunk.fill(0);
    if (error instanceof BoundedReadError) throw error;
    throw BoundedReadError.fromSystem(error, maxBytes);
  } finally {
    reader.releaseLock();
  }
  const bytes = new Uint8Array(length);
  let offset = 0;
  for (const chunk of chunks) {
    bytes.set(chunk, offset);
    offset += chunk.length;
    chunk.fill(0);
  }
  return bytes;
}
