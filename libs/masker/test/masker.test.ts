import { describe, expect, test } from "bun:test";
import fc from "fast-check";
import { buildNeedles, MASK, Masker, pipeMasked } from "../src/index.ts";
import { maskWhole } from "./oracle.ts";

const encode = (s: string) => new TextEncoder().encode(s);
const decode = (b: Uint8Array) => new TextDecoder().decode(b);

function maskChunks(needles: Uint8Array[], chunks: Uint8Array[]): Uint8Array {
  const masker = new Masker(needles);
  const out = [...chunks.map((c) => masker.push(c)), masker.end()];
  return new Uint8Array(Buffer.concat(out));
}

describe("Masker", () => {
  const needles = buildNeedles(["s3cr3t-value"]);

  test("replaces every occurrence in one chunk", () => {
    const out = maskChunks(needles, [encode("a=s3cr3t-value b=s3cr3t-value.")]);
    expect(decode(out)).toBe(`a=${MASK} b=${MASK}.`);
  });

  test("masks a needle split across two chunks at every split point", () => {
    const input = "before s3cr3t-value after";
    for (let split = 0; split <= input.length; split++) {
      const out = maskChunks(needles, [encode(input.slice(0, split)), encode(input.slice(split))]);
      expect(decode(out)).toBe(`before ${MASK} after`);
    }
  });

  test("masks a needle arriving one byte per chunk", () => {
    const chunks = [...encode("xs3cr3t-valuey")].map((b) => Uint8Array.of(b));
    expect(decode(maskChunks(needles, chunks))).toBe(`x${MASK}y`);
  });

  test("masks the base64 form of a value", () => {
    const base64 = Buffer.from("s3cr3t-value").toString("base64");
    expect(decode(maskChunks(needles, [encode(`Authorization: Basic ${base64}\n`)]))).toBe(
      `Authorization: Basic ${MASK}\n`,
    );
  });

  test("at one position the longest needle wins", () => {
    const overlapping = [encode("abcdef"), encode("abcdefghij")];
    expect(decode(maskChunks(overlapping, [encode("-abcdefghij-abcdefg-")]))).toBe(`-${MASK}-${MASK}g-`);
    // Split where the shorter needle is complete but the longer one is still possible.
    expect(decode(maskChunks(overlapping, [encode("-abcdefg"), encode("hij-")]))).toBe(`-${MASK}-`);
    expect(decode(maskChunks(overlapping, [encode("-abcdefg"), encode("hiX-")]))).toBe(`-${MASK}ghiX-`);
  });

  test("ANSI colour codes and other non-secret bytes pass byte-identical, as the same buffer", () => {
    const input = encode("\u001b[31mERROR\u001b[0m build failed: \u00ff\u0000 ✓ done\n");
    const masker = new Masker(needles);
    const out = masker.push(input);
    expect(Buffer.from(out).equals(Buffer.from(input))).toBe(true);
    expect(out.buffer).toBe(input.buffer);
    expect(masker.end().byteLength).toBe(0);
  });

  test("bytes that cannot start a needle are released immediately", () => {
    const masker = new Masker(needles);
    expect(decode(masker.push(encode("progress: 42%")))).toBe("progress: 42%");
  });

  test("a possible needle prefix is held, at most longest-1 bytes, and released once it cannot match", () => {
    const masker = new Masker(needles);
    expect(decode(masker.push(encode("token=s3cr3t-valu")))).toBe("token=");
    expect(decode(masker.push(encode("X")))).toBe("s3cr3t-valuX");
    expect(decode(masker.push(encode("ss3cr3t-valu")))).toBe("s");
    expect(decode(masker.push(encode("e!")))).toBe(`${MASK}!`);
  });

  test("the held prefix is released unmasked at end of stream", () => {
    const masker = new Masker(needles);
    expect(decode(masker.push(encode("tail: s3cr3t")))).toBe("tail: ");
    expect(decode(masker.end())).toBe("s3cr3t");
    expect(masker.end().byteLength).toBe(0);
  });

  test("never holds more than the longest needle minus one byte", () => {
    const masker = new Masker(needles);
    const longest = Math.max(...needles.map((n) => n.byteLength));
    let pushed = 0;
    let released = 0;
    for (const byte of encode("s3cr3t-valu")) {
      released += masker.push(Uint8Array.of(byte)).byteLength;
      pushed++;
      expect(pushed - released).toBeLessThanOrEqual(longest - 1);
    }
  });

  test("an empty needle list passes everything through", () => {
    const masker = new Masker([]);
    const input = encode("anything s3cr3t-value");
    expect(masker.push(input)).toEqual(input);
    expect(masker.end().byteLength).toBe(0);
  });

  test("ignores empty needles and supports one-byte needles", () => {
    expect(decode(maskChunks([new Uint8Array(0), encode("x")], [encode("axbx")]))).toBe(`a${MASK}b${MASK}`);
  });

  test("an empty chunk yields nothing", () => {
    expect(new Masker(needles).push(new Uint8Array(0)).byteLength).toBe(0);
  });

  test("output does not alias the mask constant", () => {
    const first = maskChunks(needles, [encode("s3cr3t-value")]);
    first.fill(0);
    expect(decode(maskChunks(needles, [encode("s3cr3t-value")]))).toBe(MASK);
  });

  test("equals the whole-buffer oracle for any input and any chunking", () => {
    const alphabet = fc.constantFrom(...encode("abcAB\u001b"));
    const needleArb = fc
      .uint8Array({ minLength: 1, maxLength: 6 })
      .map((b) => b.map((x) => encode("abcAB")[x % 5] ?? 0));
    fc.assert(
      fc.property(
        fc.array(needleArb, { maxLength: 5 }),
        fc.array(alphabet, { maxLength: 60 }),
        fc.array(fc.nat(8), { maxLength: 20 }),
        (needleList, bytes, cuts) => {
          const input = Uint8Array.from(bytes);
          const chunks: Uint8Array[] = [];
          let offset = 0;
          for (const cut of cuts) {
            chunks.push(input.subarray(offset, Math.min(input.length, offset + cut)));
            offset = Math.min(input.length, offset + cut);
          }
          chunks.push(input.subarray(offset));
          const expected = maskWhole(input, needleList);
          expect(Buffer.from(maskChunks(needleList, chunks)).equals(Buffer.from(expected))).toBe(true);
        },
      ),
      { numRuns: 3000 },
    );
  });
});

test("equals the oracle on arbitrary bytes with real secrets and their encodings embedded", () => {
  fc.assert(
    fc.property(
      fc.array(fc.string({ minLength: 6, maxLength: 20, unit: "grapheme" }), { minLength: 1, maxLength: 4 }),
      fc.array(fc.tuple(fc.uint8Array({ maxLength: 40 }), fc.nat()), { maxLength: 8 }),
      fc.array(fc.integer({ min: 1, max: 50 }), { minLength: 1, maxLength: 10 }),
      (secrets, segments, cuts) => {
        const needles = buildNeedles(secrets);
        const parts: Uint8Array[] = [];
        for (const [filler, pick] of segments) parts.push(filler, needles[pick % needles.length] ?? filler);
        const input = new Uint8Array(Buffer.concat(parts));
        const chunks: Uint8Array[] = [];
        for (let offset = 0, k = 0; offset < input.length; k++) {
          const size = cuts[k % cuts.length] ?? 1;
          chunks.push(input.subarray(offset, offset + size));
          offset += size;
        }
        expect(Buffer.from(maskChunks(needles, chunks)).equals(Buffer.from(maskWhole(input, needles)))).toBe(
          true,
        );
      },
    ),
    { numRuns: 500 },
  );
});

describe("pipeMasked", () => {
  test("pumps a stream through the masker and flushes the held tail at the end", async () => {
    const parts = ["id=s3cr", "3t-value; next=s3cr3t"];
    const source = new ReadableStream<Uint8Array>({
      start(controller) {
        for (const part of parts) controller.enqueue(encode(part));
        controller.close();
      },
    });
    const written: string[] = [];
    await pipeMasked(
      source,
      async (bytes) => {
        written.push(decode(bytes));
      },
      buildNeedles(["s3cr3t-value"]),
    );
    expect(written).toEqual(["id=", `${MASK}; next=`, "s3cr3t"]);
  });

  test("masks a real child process's output, split across writes", async () => {
    const child = Bun.spawn(
      [
        process.execPath,
        "-e",
        'process.stdout.write("k=tok-12"); await Bun.sleep(20); process.stdout.write("3456 done\\n")',
      ],
      { stdout: "pipe" },
    );
    const written: Uint8Array[] = [];
    await pipeMasked(
      child.stdout,
      (bytes) => {
        written.push(bytes.slice());
      },
      buildNeedles(["tok-123456"]),
    );
    expect(await child.exited).toBe(0);
    expect(decode(Buffer.concat(written))).toBe(`k=${MASK} done\n`);
  });
});
