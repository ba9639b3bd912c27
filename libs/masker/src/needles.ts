// What to look for in a child's output (§10): each injected secret of at least 6 characters,
// plus the encodings in which tools commonly print it back.

import { goJsonString } from "@kpm/strict-codec/go-json";

/** Values shorter than this are not masked: too short to mask without destroying ordinary output. */
export const MIN_MASKED_LENGTH = 6;

function encodingsOf(value: string): string[] {
  const bytes = Buffer.from(value, "utf8");
  const base64 = bytes.toString("base64");
  const json = JSON.stringify(value).slice(1, -1);
  return [
    value,
    base64,
    base64.replace(/=+$/, ""),
    bytes.toString("base64url"),
    encodeURIComponent(value),
    json,
    // The form Go's json.Marshal (and other HTML-safe encoders) emit.
    goJsonString(value).slice(1, -1),
  ];
}

export function buildNeedles(values: string[]): Uint8Array[] {
  const unique = new Set<string>();
  for (const value of values) {
    // Lone surrogates cannot be UTF-8 encoded (and would make encodeURIComponent throw).
    const wellFormed = value.toWellFormed();
    if ([...wellFormed].length < MIN_MASKED_LENGTH) continue;
    for (const form of encodingsOf(wellFormed)) unique.add(form);
  }
  const encoder = new TextEncoder();
  return [...unique].map((form) => encoder.encode(form));
}
