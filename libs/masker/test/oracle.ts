// A deliberately naive whole-buffer masker: the reference the streaming Masker must equal.

import { MASK } from "../src/index.ts";

const MASK_BYTES = new TextEncoder().encode(MASK);

export function maskWhole(input: Uint8Array, needles: Uint8Array[]): Uint8Array {
  const out: number[] = [];
  let i = 0;
  while (i < input.length) {
    let best = 0;
    for (const needle of needles) {
      if (
        needle.length > best &&
        i + needle.length <= input.length &&
        needle.every((b, k) => input[i + k] === b)
      ) {
        best = needle.length;
      }
    }
    if (best > 0) {
      out.push(...MASK_BYTES);
      i += best;
    } else {
      out.push(input[i] as number);
      i++;
    }
  }
  return new Uint8Array(out);
}
