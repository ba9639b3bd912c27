// PEM files of the dev PKI, read with the shared 1 MiB cap: the data dir is the user's own, but a
// file in it replaced by (or linked to) /dev/zero must fail at once instead of hanging the server.
import { MAX_PEM_BYTES, readFileBounded } from "@kpm/bounded-read";
import { ioError } from "./errors.ts";

const utf8 = new TextDecoder("utf-8", { ignoreBOM: true });

/** The file's text; a DevError `read <path>: <reason>` ("file too large (max 1 MiB)", "no such file …"). */
export function readPemText(path: string): string {
  try {
    return utf8.decode(readFileBounded(path, MAX_PEM_BYTES));
  } catch (error) {
    throw ioError(`read ${path}`, error);
  }
}
