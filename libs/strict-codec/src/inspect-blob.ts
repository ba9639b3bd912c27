// Classifies environment values: a "kpm-managed variable" is one whose value parses as either
// kind of blob (§1), which decides scrubbing (§9.1.4) and env-scan decryption (§8.2).

import { parseBlob } from "./blob.ts";
import { CodecError } from "./codec-error.ts";
import { parseStrictBlob } from "./strict-blob.ts";

export type BlobKind = "encrypted" | "strict";

export type BlobInspection = { ok: true; kind: BlobKind; sessionId: string } | { ok: false; error: string };

/**
 * Parses a value that starts like a blob, once: its kind and session id, or the §7.2 parse error.
 * null when the value does not start like either kind of blob.
 */
export function inspectBlob(value: string): BlobInspection | null {
  const kind: BlobKind | null = value.startsWith("ENC[kpm:")
    ? "encrypted"
    : value.startsWith("ENC[kpm-strict:")
      ? "strict"
      : null;
  if (kind === null) return null;
  try {
    const { sessionId } = kind === "strict" ? parseStrictBlob(value) : parseBlob(value);
    return { ok: true, kind, sessionId };
  } catch (error) {
    // The parsers throw only CodecError; anything else is a bug, not a malformed value.
    if (!(error instanceof CodecError)) throw error;
    return { ok: false, error: error.message };
  }
}
