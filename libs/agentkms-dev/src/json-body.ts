// Request bodies decoded like Go's json.Decoder (wire §5.2–5.3): only the first JSON value counts,
// duplicate keys last-wins, and non-string values keep their raw JSON text byte for byte.

const WHITESPACE = new Set([" ", "\t", "\n", "\r"]);

function skipWhitespace(text: string, i: number): number {
  while (i < text.length && WHITESPACE.has(text[i] as string)) i++;
  return i;
}

/** Index just past the JSON value starting at `i` (structure only; validity is checked separately), or -1. */
function scanValueEnd(text: string, i: number): number {
  const first = text[i];
  if (first === undefined) return -1;
  if (first === '"') {
    for (let j = i + 1; j < text.length; j++) {
      if (text[j] === "\\") j++;
      else if (text[j] === '"') return j + 1;
    }
    return -1;
  }
  if (first === "{" || first === "[") {
    let depth = 0;
    for (let j = i; j < text.length; j++) {
      const c = text[j];
      if (c === '"') {
        const end = scanValueEnd(text, j);
        if (end < 0) return -1;
        j = end - 1;
      } else if (c === "{" || c === "[") depth++;
      else if (c === "}" || c === "]") {
        depth--;
        if (depth === 0) return j + 1;
      }
    }
    return -1;
  }
  let j = i;
  while (j < text.length && !/[\s,\]}[{":]/.test(text[j] as string)) j++;
  return j > i ? j : -1;
}

export type FirstValue = { ok: true; raw: string; value: unknown } | { ok: false };

/** The first JSON value of the body and its exact source text; trailing bytes are ignored. */
export function readFirstJsonValue(text: string): FirstValue {
  const start = skipWhitespace(text, 0);
  const end = scanValueEnd(text, start);
  if (end < 0) return { ok: false };
  const raw = text.slice(start, end);
  try {
    return { ok: true, raw, value: JSON.parse(raw) };
  } catch {
    return { ok: false };
  }
}

/** Members of a (validated) JSON object's source text, in order, each value as raw text. */
function objectMembers(raw: string): Array<[string, string]> {
  const members: Array<[string, string]> = [];
  let i = skipWhitespace(raw, 1);
  while (raw[i] !== "}") {
    const keyEnd = scanValueEnd(raw, i);
    const key = JSON.parse(raw.slice(i, keyEnd)) as string;
    i = skipWhitespace(raw, keyEnd) + 1; // past ':'
    i = skipWhitespace(raw, i);
    const valueEnd = scanValueEnd(raw, i);
    members.push([key, raw.slice(i, valueEnd)]);
    i = skipWhitespace(raw, valueEnd);
    if (raw[i] === ",") i = skipWhitespace(raw, i + 1);
  }
  return members;
}

export type SecretBody =
  | { kind: "fields"; fields: Record<string, string> }
  | { kind: "empty" }
  | { kind: "invalid" };

/** A `POST /secrets` body: an object of fields; strings unquoted, anything else stored as raw JSON text. */
export function decodeSecretBody(text: string): SecretBody {
  const first = readFirstJsonValue(text);
  if (!first.ok) return { kind: "invalid" };
  if (first.value === null) return { kind: "empty" };
  if (typeof first.value !== "object" || Array.isArray(first.value)) return { kind: "invalid" };
  const fields = new Map<string, string>();
  for (const [key, rawValue] of objectMembers(first.raw)) {
    fields.set(key, rawValue.startsWith('"') ? (JSON.parse(rawValue) as string) : rawValue);
  }
  if (fields.size === 0) return { kind: "empty" };
  return { kind: "fields", fields: Object.fromEntries(fields) };
}

export interface MetadataBody {
  description: string;
  tags: string[];
  type: string;
  expires: string;
}

/**
 * A `POST /metadata` body decoded into AgentKMS' struct: unknown keys ignored, keys matched
 * case-insensitively as encoding/json does, null leaves a field unset, wrong types are invalid.
 */
export function decodeMetadataBody(text: string): MetadataBody | null {
  const first = readFirstJsonValue(text);
  if (!first.ok) return null;
  const out: MetadataBody = { description: "", tags: [], type: "", expires: "" };
  if (first.value === null) return out;
  if (typeof first.value !== "object" || Array.isArray(first.value)) return null;
  for (const [key, rawValue] of objectMembers(first.raw)) {
    const value: unknown = JSON.parse(rawValue);
    const field = key.toLowerCase();
    if (field === "tags") {
      if (value === null) continue;
      if (!Array.isArray(value)) return null;
      const tags: string[] = [];
      for (const tag of value) {
        if (tag === null) tags.push("");
        else if (typeof tag === "string") tags.push(tag);
        else return null;
      }
      out.tags = tags;
    } else if (field === "description" || field === "type" || field === "expires") {
      if (value === null) continue;
      if (typeof value !== "string") return null;
      out[field] = value;
    }
  }
  return out;
}
