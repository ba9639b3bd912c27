// kpm-managed variables in an environment (§1): values that parse as ENC blobs of either kind,
// plus KPM_SESSION and KPM_DECRYPT_SOCK.
import { parseBlob, parseStrictBlob } from "@kpm/strict-codec";
import { byCodePoint } from "./cli/text.ts";
import type { Env } from "./paths.ts";

export interface ManagedBlob {
  name: string;
  value: string;
  kind: "encrypted" | "strict";
  sessionId: string;
}

export type BlobInspection =
  | { ok: true; kind: "encrypted" | "strict"; sessionId: string }
  | { ok: false; error: string };

/**
 * Parses a value that starts like a blob, once: its kind and session id, or the §7.2 parse error.
 * null when the value does not start like either kind of blob.
 */
export function inspectBlob(value: string): BlobInspection | null {
  const kind = value.startsWith("ENC[kpm:")
    ? "encrypted"
    : value.startsWith("ENC[kpm-strict:")
      ? "strict"
      : null;
  if (!kind) return null;
  try {
    const { sessionId } = kind === "strict" ? parseStrictBlob(value) : parseBlob(value);
    return { ok: true, kind, sessionId };
  } catch (error) {
    return { ok: false, error: (error as Error).message };
  }
}

/** Every variable whose value parses as a blob, sorted by name. */
export function managedBlobs(env: Env): ManagedBlob[] {
  const blobs: ManagedBlob[] = [];
  for (const { name, value, inspection } of blobLikeVariables(env)) {
    if (inspection.ok) blobs.push({ name, value, kind: inspection.kind, sessionId: inspection.sessionId });
  }
  return blobs;
}

/** Variables whose value starts like a blob, parsed, sorted by name (env-scan decrypts or unsets them, §8.2). */
export function blobLikeVariables(
  env: Env,
): Array<{ name: string; value: string; inspection: BlobInspection }> {
  const found: Array<{ name: string; value: string; inspection: BlobInspection }> = [];
  for (const [name, value] of Object.entries(env)) {
    // Both kinds start so; the check keeps the parser away from the rest of the environment.
    if (value === undefined || !value.startsWith("ENC[kpm")) continue;
    const inspection = inspectBlob(value);
    if (inspection) found.push({ name, value, inspection });
  }
  return found.sort((a, b) => byCodePoint(a.name, b.name));
}

export function hasActiveSession(env: Env): boolean {
  return Boolean(env.KPM_SESSION) || managedBlobs(env).length > 0;
}
