// The echo filter: every occurrence replaced, whatever the chunking, holding back only a partial match.
import { describe, expect, test } from "bun:test";
import fc from "fast-check";
import { replaceInStream } from "../src/echo-filter.ts";

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
  });
  const masked = replaceInStream(stream, [[encoder.encode(needle), encoder.encode(replacement)]]);
  const parts: string[] = [];
  for await (const part of masked) parts.push(new TextDecoder().decode(part as Uint8Array));
  return { text: parts.join(""), first: parts[0] ?? "" };
}

describe("replaceInStream", () => {
  test("matches split across chunks are replaced; a chunk that cannot start a match passes at once", async () => {
    expect((await run(["xx sec", "ret yy secret"], "secret", "P")).text).toBe("xx P yy P");
    expect((await run(["ends with sec"], "secret", "P")).text).toBe("ends with sec");
  });

  test("a chunk that cannot start a match is passed on before the next one is produced", async () => {
    const encoder = new TextEncoder();
    let sent = 0;
    const slow = new ReadableStream<Uint8Array>({
      async pull(controller) {
        if (sent === 2) return controller.close();
        if (sent > 0) await Bun.sleep(30);
        controller.enqueue(encoder.encode(`data: ${++sent}\n\n`));
      },
    });
    const reader = replaceInStream(slow, [[encoder.encode("secret"), encoder.encode("P")]]).getReader();
    const first = await reader.read();
    expect(new TextDecoder().decode(first.value as Uint8Array)).toBe("data: 1\n\n");
    await reader.cancel();
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
