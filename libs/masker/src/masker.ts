// Streaming replacement of secret needles by MASK (§10). Decisions are deferred only while the
// unmatched tail of the input could still begin a needle, so output is byte-identical to
// masking the whole stream at once, and no timer ever releases a possible secret prefix.

export const MASK = "<concealed by kpm>";
const MASK_BYTES = new TextEncoder().encode(MASK);
const EMPTY = new Uint8Array(0);

export class Masker {
  /** Needles by first byte, longest first so the first full match is the longest one. */
  private readonly byFirstByte: Array<Uint8Array[] | undefined> = new Array(256);
  /**
   * Non-zero where (byte << 8 | next byte) can begin a needle. One lookup per byte rejects
   * almost every position, so needles are compared only at real candidates.
   */
  private readonly startsPair = new Uint8Array(1 << 16);
  private readonly hasNeedles: boolean;
  private held: Uint8Array = EMPTY;

  constructor(needles: Uint8Array[]) {
    for (const needle of needles) {
      const first = needle[0];
      if (first === undefined) continue;
      const group = this.byFirstByte[first] ?? [];
      group.push(needle);
      this.byFirstByte[first] = group;
      const second = needle[1];
      if (second !== undefined) this.startsPair[(first << 8) | second] = 1;
      // A one-byte needle matches whatever follows it.
      else this.startsPair.fill(1, first << 8, (first + 1) << 8);
    }
    for (const group of this.byFirstByte) group?.sort((a, b) => b.byteLength - a.byteLength);
    this.hasNeedles = this.byFirstByte.some((group) => group !== undefined);
  }

  /** Masks what can be decided now; may hold back a short tail that could begin a needle. */
  push(chunk: Uint8Array): Uint8Array {
    if (!this.hasNeedles || chunk.byteLength === 0) return chunk;
    const input =
      this.held.byteLength === 0
        ? chunk
        : concat([this.held, chunk], this.held.byteLength + chunk.byteLength);
    this.held = EMPTY;
    return this.scan(input, false);
  }

  /** Flushes the held tail at end of stream: nothing more can arrive to complete a needle. */
  end(): Uint8Array {
    const input = this.held;
    this.held = EMPTY;
    return input.byteLength === 0 ? EMPTY : this.scan(input, true);
  }

  /** The first position at or after `from` where a needle could begin, or input.byteLength. */
  private nextCandidate(input: Uint8Array, from: number): number {
    const pairs = this.startsPair;
    const last = input.byteLength - 1;
    let i = from;
    while (i < last && pairs[((input[i] as number) << 8) | (input[i + 1] as number)] === 0) i++;
    if (i === last && this.byFirstByte[input[i] as number] === undefined) i++;
    return i;
  }

  private scan(input: Uint8Array, final: boolean): Uint8Array {
    const length = input.byteLength;
    const pieces: Uint8Array[] = [];
    let outputLength = 0;
    let start = 0;
    let i = this.nextCandidate(input, 0);
    while (i < length) {
      const decision = matchAt(this.byFirstByte[input[i] as number] ?? [], input, i, final);
      if (decision === PENDING) {
        // Keep a copy: the caller may reuse its chunk buffer once push returns.
        this.held = input.slice(i);
        break;
      }
      if (decision > 0) {
        if (i > start) {
          pieces.push(input.subarray(start, i));
          outputLength += i - start;
        }
        pieces.push(MASK_BYTES);
        outputLength += MASK_BYTES.byteLength;
        i += decision;
        start = i;
      } else {
        i++;
      }
      i = this.nextCandidate(input, i);
    }
    const end = length - this.held.byteLength;
    if (pieces.length === 0) return input.subarray(0, end);
    if (end > start) {
      pieces.push(input.subarray(start, end));
      outputLength += end - start;
    }
    return concat(pieces, outputLength);
  }
}

const PENDING = -1;

/**
 * The length of the longest needle matching at `at`, 0 for none, or PENDING when a longer
 * needle runs past the end of the input and the input so far is its prefix.
 */
function matchAt(group: Uint8Array[], input: Uint8Array, at: number, final: boolean): number {
  const available = input.byteLength - at;
  for (const needle of group) {
    const needleLength = needle.byteLength;
    if (needleLength > available) {
      if (!final && equalBytes(input, at, needle, available)) return PENDING;
      continue;
    }
    if (equalBytes(input, at, needle, needleLength)) return needleLength;
  }
  return 0;
}

function equalBytes(input: Uint8Array, at: number, needle: Uint8Array, count: number): boolean {
  // needle[0] is known to equal input[at]: the caller selected the group by it.
  for (let k = 1; k < count; k++) {
    if (input[at + k] !== needle[k]) return false;
  }
  return true;
}

function concat(pieces: Uint8Array[], totalLength: number): Uint8Array {
  const out = new Uint8Array(totalLength);
  let offset = 0;
  for (const piece of pieces) {
    out.set(piece, offset);
    offset += piece.byteLength;
  }
  return out;
}
