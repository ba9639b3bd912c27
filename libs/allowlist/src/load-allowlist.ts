// Reads an allow-list file through the shared bounded reader: regular files only (a FIFO never
// blocks the open) and at most 1 MiB, checked on the open descriptor and while reading, so a huge,
// growing or endless file is never pulled into memory.

import { BoundedReadError, readFileBounded } from "@kpm/bounded-read";
import { AllowlistError, parseError } from "./allowlist-error.ts";
import { type Allowlist, MAX_ALLOWLIST_BYTES, parseAllowlist, TOO_LARGE } from "./parse-allowlist.ts";

/** Like Buffer#toString("utf8"): invalid bytes become U+FFFD and a BOM is left to the parser. */
const utf8 = new TextDecoder("utf-8", { ignoreBOM: true });

/** The file's raw bytes, as parsed by loadAllowlist. */
export function readAllowlistBytes(path: string): Uint8Array {
  try {
    return readFileBounded(path, MAX_ALLOWLIST_BYTES, { regularOnly: true });
  } catch (error) {
    if (!(error instanceof BoundedReadError)) throw error;
    if (error.code === "too_large") throw parseError(path, TOO_LARGE);
    if (error.code === "not_regular") throw parseError(path, "not a regular file");
    throw parseError(path, `cannot read file (${error.code}: ${error.message})`);
  }
}

/**
 * `trust` (project trust) is asked with the exact bytes that will be parsed; false refuses the
 * file (code "untrusted"). The caller decides which files need asking and words the refusal.
 */
export function loadAllowlist(path: string, trust?: (file: string, bytes: Uint8Array) => boolean): Allowlist {
  const bytes = readAllowlistBytes(path);
  if (trust !== undefined && !trust(path, bytes)) {
    throw new AllowlistError("untrusted", `kpm: untrusted allow-list ${path}`);
  }
  return parseAllowlist(utf8.decode(bytes), path);
}
