// Public surface of @kpm/bounded-read: the one way kpm reads a file or stream it did not write
// itself, with a size cap checked while reading (docs/limits.md lists the caps).
export {
  BoundedReadError,
  type BoundedReadErrorCode,
  describeFsError,
  errorCode,
  formatLimit,
} from "./bounded-read-error.ts";
export { MAX_CONFIG_BYTES, MAX_PEM_BYTES, MiB } from "./limits.ts";
export { type ReadFileOptions, readFileBounded, readFileWithMode } from "./read-file.ts";
export { readStreamBounded } from "./read-stream.ts";
