// A fast path for the one large response kpm reads: `GET /metadata` (wire §5.6), up to thousands
// of records. zod parsed 1,000 records in ~8 ms of a ~25 ms `kpm list` (cold code in a short-lived
// process), more than everything else the command does. This check accepts exactly the bodies
// metadataListSchema accepts and returns exactly its output (unknown keys dropped, key order
// kept); for anything else it declines and zod decides and words the error. A differential
// property test (test/metadata-list-check.test.ts) holds the two to the same answers.

// The schema's optional strings, in its key order around `version` and `tags`.
const BEFORE_VERSION = ["service", "name"] as const;
const BEFORE_TAGS = ["created", "updated", "description"] as const;
const AFTER_TAGS = ["type", "expires"] as const;

export interface MetadataRecord {
  path: string;
  service?: string;
  name?: string;
  version: number;
  created?: string;
  updated?: string;
  description?: string;
  tags?: string[] | null;
  type?: string;
  expires?: string;
  deleted?: boolean;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** Copies the optional string fields that are present; false when one is not a string. */
function copyText(
  input: Record<string, unknown>,
  into: Record<string, string>,
  keys: readonly string[],
): boolean {
  for (const key of keys) {
    const value = input[key];
    if (value === undefined) continue;
    if (typeof value !== "string") return false;
    into[key] = value;
  }
  return true;
}

function checkRecord(input: unknown): MetadataRecord | undefined {
  if (!isRecord(input)) return undefined;
  const { path, version, tags, deleted } = input;
  if (typeof path !== "string" || path.length === 0) return undefined;
  // The schema's key order: path, service, name, version, created, updated, description, tags,
  // type, expires, deleted.
  const record = { path } as MetadataRecord;
  const text = record as unknown as Record<string, string>;
  if (!copyText(input, text, BEFORE_VERSION)) return undefined;
  if (!Number.isSafeInteger(version)) return undefined;
  record.version = version as number;
  if (!copyText(input, text, BEFORE_TAGS)) return undefined;
  if (tags !== undefined) {
    if (tags !== null) {
      if (!Array.isArray(tags)) return undefined;
      for (const tag of tags) if (typeof tag !== "string") return undefined;
      record.tags = tags.slice() as string[];
    } else {
      record.tags = null;
    }
  }
  if (!copyText(input, text, AFTER_TAGS)) return undefined;
  if (deleted !== undefined) {
    if (typeof deleted !== "boolean") return undefined;
    record.deleted = deleted;
  }
  return record;
}

/** metadataListSchema's output for `body`, or undefined when the schema should decide. */
export function checkMetadataList(body: unknown): { secrets: MetadataRecord[] } | undefined {
  if (!isRecord(body) || !Array.isArray(body.secrets)) return undefined;
  const secrets: MetadataRecord[] = [];
  for (const item of body.secrets) {
    const record = checkRecord(item);
    if (record === undefined) return undefined;
    secrets.push(record);
  }
  return { secrets };
}
