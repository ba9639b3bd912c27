// kpm-managed variables in an environment (§1): values that parse as ENC blobs of either kind,
// plus KPM_SESSION and KPM_DECRYPT_SOCK.
import { blobKind, parseBlob, parseStrictBlob } from "@kpm/strict-codec";
import type { Env } from "./paths.ts";

export interface ManagedBlob {
  name: string;
  value: string;
  kind: "encrypted" | "strict";
  sessionId: string;
}

export function sessionIdOf(value: string, kind: "encrypted" | "strict"): string {
  return kind === "strict" ? parseStrictBlob(value).sessionId : parseBlob(value).sessionId;
}

/** Every variable whose value parses as a blob, sorted by name. */
export function managedBlobs(env: Env): ManagedBlob[] {
  const blobs: ManagedBlob[] = [];
  for (const [name, value] of Object.entries(env)) {
    if (!value?.startsWith("ENC[")) continue;
    const kind = blobKind(value);
    if (!kind) continue;
    blobs.push({ name, value, kind, sessionId: sessionIdOf(value, kind) });
  }
  return blobs.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

/** Variables whose value merely starts like a blob (env-scan mode decrypts or unsets them, §8.2). */
export function blobLikeVariables(env: Env): Array<{ name: string; value: string }> {
  return Object.entries(env)
    .filter(([, value]) => value?.startsWith("ENC[kpm:") || value?.startsWith("ENC[kpm-strict:"))
    .map(([name, value]) => ({ name, value: value as string }))
    .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

export function hasActiveSession(env: Env): boolean {
  return Boolean(env.KPM_SESSION) || managedBlobs(env).length > 0;
}
