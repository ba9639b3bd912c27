// Public surface of @kpm/strict-codec: session ids and keys, ENC blobs and strict blobs (§7.1–7.2).

export {
  type DecryptedBlob,
  decryptBlob,
  decryptData,
  encryptValue,
  type ParsedBlob,
  parseBlob,
} from "./blob.ts";
export { CodecError, type CodecErrorCode } from "./codec-error.ts";
export { type GoJsonOptions, goJson, goJsonString } from "./go-json.ts";
export { type BlobInspection, type BlobKind, inspectBlob } from "./inspect-blob.ts";
export { generateSessionId, generateSessionKey, generateStrictSessionId } from "./session-id.ts";
export { formatStrictBlob, type ParsedStrictBlob, parseStrictBlob, type StrictRef } from "./strict-blob.ts";
