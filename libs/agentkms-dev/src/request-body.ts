// Reading a request body under the wire's 1 MiB limit, with its UTF-8 validity noted.

export const BODY_LIMIT = 1 << 20;

const strictUtf8 = new TextDecoder("utf-8", { fatal: true });

/**
 * The body as text, and whether it was valid UTF-8 (Go's decoder, like ours, substitutes U+FFFD);
 * null when it is over BODY_LIMIT.
 */
export async function readBody(req: AsyncIterable<unknown>): Promise<{ text: string; utf8: boolean } | null> {
  const chunks: Buffer[] = [];
  let size = 0;
  let tooLarge = false;
  for await (const chunk of req) {
    const buffer = chunk as Buffer;
    size += buffer.length;
    // Past the limit the rest is drained, not kept, so the client still reads our 400.
    if (size > BODY_LIMIT) tooLarge = true;
    else chunks.push(buffer);
  }
  if (tooLarge) return null;
  const bytes = Buffer.concat(chunks);
  try {
    return { text: strictUtf8.decode(bytes), utf8: true };
  } catch {
    return { text: new TextDecoder().decode(bytes), utf8: false };
  }
}
