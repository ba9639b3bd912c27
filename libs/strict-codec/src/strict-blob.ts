// Strict blobs (§7.2): ENC[kpm-strict:<sid>:<base64(JSON ref)>]. They carry a reference, never
// secret material; the strict listener resolves them through AgentKMS.

import { base64Problem, decodeStrictBase64, encodeBase64 } from "./base64.ts";
import { CodecError } from "./codec-error.ts";
import { goJsonString } from "./go-json.ts";

const PREFIX = "ENC[kpm-strict:";
const SUFFIX = "]";
const FIELDS = ["Type", "Path", "Key", "Default"] as const;

export interface StrictRef {
  Type: string;
  Path: string;
  Key: string;
  Default: string;
}

export interface ParsedStrictBlob {
  sessionId: string;
  ref: StrictRef;
}

export function formatStrictBlob(sessionId: string, ref: StrictRef): string {
  if (sessionId === "") throw new CodecError("invalid_ref", "FormatStrictBlob: empty session ID");
  if (sessionId.includes(":") || sessionId.includes("]")) {
    throw new CodecError("invalid_ref", "FormatStrictBlob: session ID must not contain ':' or ']'");
  }
  if (ref.Type === "") throw new CodecError("invalid_ref", "FormatStrictBlob: empty reference type");
  const json =
    `{"Type":${goJsonString(ref.Type)},"Path":${goJsonString(ref.Path)},` +
    `"Key":${goJsonString(ref.Key)},"Default":${goJsonString(ref.Default)}}`;
  return PREFIX + sessionId + ":" + encodeBase64(Buffer.from(json, "utf8")) + SUFFIX;
}

function fail(problem: string): never {
  throw new CodecError("invalid_strict_blob", `ParseStrictBlob: ${problem}`);
}

function jsonKind(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "array";
  return typeof value === "object" ? "object" : typeof value;
}

const UTF8 = new TextDecoder();

// Mirrors Go's json.Unmarshal into the StrictRef struct: keys match case-insensitively, later
// keys overwrite earlier ones, unknown keys and null values are ignored, missing fields are "".
function unmarshalRef(bytes: Uint8Array): StrictRef {
  let parsed: unknown;
  try {
    parsed = JSON.parse(UTF8.decode(bytes));
  } catch {
    // JSON.parse messages quote the input; report only its size.
    fail(`unmarshal ref: invalid JSON (${bytes.byteLength} bytes)`);
  }
  if (parsed === null || typeof parsed !== "object" || Array.isArray(parsed)) {
    fail(`unmarshal ref: cannot unmarshal ${jsonKind(parsed)} into a reference object`);
  }
  const ref: StrictRef = { Type: "", Path: "", Key: "", Default: "" };
  for (const [name, value] of Object.entries(parsed)) {
    const field = FIELDS.find((f) => f.toLowerCase() === name.toLowerCase());
    if (field === undefined || value === null) continue;
    if (typeof value !== "string")
      fail(`unmarshal ref: cannot unmarshal ${jsonKind(value)} into field ${field}`);
    ref[field] = value;
  }
  return ref;
}

export function parseStrictBlob(blob: string): ParsedStrictBlob {
  if (blob.length <= PREFIX.length || !blob.startsWith(PREFIX) || !blob.endsWith(SUFFIX)) {
    fail("invalid blob format");
  }
  const inner = blob.slice(PREFIX.length, -SUFFIX.length);
  const separator = inner.indexOf(":");
  // An empty sid is never emitted (formatStrictBlob refuses it), so treat it as missing.
  if (separator <= 0) fail("missing sessionID separator");
  const encoded = inner.slice(separator + 1);
  const data = decodeStrictBase64(encoded);
  if (data === null) fail(`base64 decode: ${base64Problem(encoded)}`);
  return { sessionId: inner.slice(0, separator), ref: unmarshalRef(data) };
}
