// The echo filter: every occurrence replaced, whatever the chunking, holding back only a partial match.
import { describe, expect, test } from "bun:test";
import fc from "fast-check";
import { replaceStream } from "../src/echo-filter.ts";

async function run(
  chunks: string[],
  needle: string,
  replacement: string,
): Promise<{ text: string; first: string }> {
  const encoder = new TextEncoder();
  const stream = new ReadableStream<Uint8Array>({
    start(controller) {
      for (const chunk of chunks) controller.enqueue(encoder.encode(chunk));
      controller.close();
    },
  }).pipeThrough(replaceStream(encoder.encode(needle), encoder.encode(replacement)));
  const parts: string[] = [];
  for await (const part of stream) parts.push(new TextDecoder().decode(part));
  return { text: parts.join(""), first: parts[0] ?? "" };
}

describe("replaceStream", () => {
  test("matches split across chunks are replaced; a chunk that cannot start a match passes at once", async () => {
    expect((await run(["xx sec", "ret yy secret"], "secret", "P")).text).toBe("xx P yy P");
    expect((await run(["data: 1\n\n", "data: 2\n\n"], "secret", "P")).first).toBe("data: 1\n\n");
    expect((await run(["ends with sec"], "secret", "P")).text).toBe("ends with sec");
  });

  test("equals a whole-string replace for any chunking", async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(fc.stringMatching(/^[ab]{0,6}$/), { maxLength: 6 }), async (chunks) => {
        const expected = chunks.join("").split("aab").join("X");
        expect((await run(chunks, "aab", "X")).text).toBe(expected);
      }),
    );
  });
});
