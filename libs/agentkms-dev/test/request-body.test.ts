// readBody: the body as text under the 1 MiB wire limit, with its UTF-8 validity noted.
import { describe, expect, test } from "bun:test";
import { BODY_LIMIT, readBody } from "../src/request-body.ts";

async function* chunks(...parts: Uint8Array[]): AsyncGenerator<Buffer> {
  for (const part of parts) yield Buffer.from(part);
}

describe("readBody", () => {
  test("joins the chunks and reports valid UTF-8", async () => {
    const body = await readBody(chunks(Buffer.from('{"value":"'), Buffer.from('päss"}')));
    expect(body).toEqual({ text: '{"value":"päss"}', utf8: true });
  });

  test("invalid UTF-8 is decoded with U+FFFD and flagged, so the caller can refuse it", async () => {
    const body = await readBody(chunks(Buffer.from([0x7b, 0xff, 0xfe, 0x7d])));
    expect(body).toEqual({ text: "{\uFFFD\uFFFD}", utf8: false });
  });

  test("a body past the limit is drained and refused (null)", async () => {
    expect(await readBody(chunks(new Uint8Array(BODY_LIMIT), new Uint8Array(1)))).toBeNull();
    expect(await readBody(chunks(new Uint8Array(BODY_LIMIT)))).not.toBeNull();
  });
});
