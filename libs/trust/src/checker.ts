// The question the loaders ask about a project file: do these exact bytes match what the user
// trusted? The store is read on the first question only, so runs that meet no project file never
// touch it.

import { sha256Hex } from "./hash.ts";
import { readTrustStore, type TrustRecords } from "./store.ts";
import { trustKey } from "./trust-key.ts";

export class TrustChecker {
  private records?: TrustRecords;

  constructor(readonly storePath: string) {}

  /** `bytes` must be the content the caller is going to parse, not a second read of `file`. */
  isTrusted(projectDir: string, file: string, bytes: Uint8Array): boolean {
    this.records ??= readTrustStore(this.storePath);
    const expected = this.records.get(trustKey(projectDir, file));
    return expected !== undefined && expected === sha256Hex(bytes);
  }
}
