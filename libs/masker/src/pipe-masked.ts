// Pumps a child's output stream through a Masker into a writer, finishing with the held tail
// so the caller can exit only after everything is flushed (§10).

import { Masker } from "./masker.ts";

export async function pipeMasked(
  source: AsyncIterable<Uint8Array>,
  write: (bytes: Uint8Array) => void | Promise<void>,
  needles: Uint8Array[],
): Promise<void> {
  const masker = new Masker(needles);
  for await (const chunk of source) {
    const out = masker.push(chunk);
    if (out.byteLength > 0) await write(out);
  }
  const tail = masker.end();
  if (tail.byteLength > 0) await write(tail);
}
