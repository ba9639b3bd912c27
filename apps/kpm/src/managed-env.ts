// kpm-managed variables in an environment (§1): values that parse as ENC blobs of either kind,
// plus KPM_SESSION and KPM_DECRYPT_SOCK.
import { type BlobInspection, type BlobKind, inspectBlob } from "@kpm/strict-codec";
import { byCodePoint } from "./cli/text.ts";
import type { Env } from "./paths.ts";

export interface ManagedBlob {
  name: string;
  value: string;
  kind: BlobKind;
  sessionId: string;
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
