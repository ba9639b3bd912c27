// The set of references a strict session was created with (spec §7.5 step 4). A strict blob
// is only a claim; the listener serves it only when it names an issued reference.
import type { IssuedRef } from "./start-message.ts";

interface BlobRef {
  Type: string;
  Path: string;
  Key: string;
  Default: string;
}

export class IssuedRefs {
  readonly #byKey = new Map<string, IssuedRef>();

  constructor(refs: readonly IssuedRef[]) {
    for (const ref of refs) {
      const key = issuedKey(ref.Type, ref.Path, ref.Key, ref.Default);
      if (!this.#byKey.has(key)) this.#byKey.set(key, ref);
    }
  }

  /**
   * The issued reference a blob names, or null. Default compares as text; a blob's "" also
   * matches an issued reference without default (null), because both encode as "".
   */
  find(ref: BlobRef): IssuedRef | null {
    const exact = this.#byKey.get(issuedKey(ref.Type, ref.Path, ref.Key, ref.Default));
    if (exact !== undefined) return exact;
    if (ref.Default !== "") return null;
    return this.#byKey.get(issuedKey(ref.Type, ref.Path, ref.Key, null)) ?? null;
  }
}

function issuedKey(type: string, path: string, key: string, fallback: string | null): string {
  return JSON.stringify([type, path, key, fallback]);
}
