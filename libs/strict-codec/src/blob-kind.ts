// Classifies environment values: a "kpm-managed variable" is one whose value parses as either
// kind of blob (§1), which decides scrubbing (§9.1.4) and env-scan decryption (§8.2).

import { parseBlob } from "./blob.ts";
import { parseStrictBlob } from "./strict-blob.ts";

export type BlobKind = "encrypted" | "strict";

function parses(parse: (value: string) => unknown, value: string): boolean {
  try {
    parse(value);
    return true;
  } catch {
    // The parsers throw only CodecError.
    return false;
  }
}

export function blobKind(value: string): BlobKind | null {
  if (value.startsWith("ENC[kpm:")) return parses(parseBlob, value) ? "encrypted" : null;
  if (value.startsWith("ENC[kpm-strict:")) return parses(parseStrictBlob, value) ? "strict" : null;
  return null;
}
