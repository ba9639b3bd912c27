// The secret registry on the flat KV (wire §5): values, archived versions, metadata records, history
// and listing, plus the path rules of our fix (cli §15.3). Pure functions over a KV map.

import type { SecretMetadata } from "@kpm/agentkms-client";
import { describeSegmentProblem, hasLongHexRun } from "@kpm/path-rules";
import type { KV } from "./store.ts";

export const SECRETS_PREFIX = "kv/data/secrets/";
export const METADATA_PREFIX = "kv/data/metadata/";
export const GENERIC_PREFIX = "kv/data/generic/";
export const LLM_PREFIX = "kv/data/llm/";

/** Each metadata record stores every one of these keys, empty when unset (as agentkms-dev writes them). */
export interface MetadataRecord {
  meta_version: string;
  meta_created: string;
  meta_updated: string;
  meta_description: string;
  meta_tags: string;
  meta_type: string;
  meta_expires: string;
  meta_deleted: string;
  meta_versions_history: string;
}

/**
 * The JSON object returned for writes, metadata reads and list items: the wire shape the client
 * reads (keys written in AgentKMS order by metadataObject); `deleted` is only ever written as true.
 */
export interface MetadataObject extends SecretMetadata {
  deleted?: true;
}

const HISTORY_LIMIT = 10;

/** Registry timestamps: RFC 3339, UTC, whole seconds. */
export function registryTimestamp(date: Date): string {
  return `${date.toISOString().slice(0, 19)}Z`;
}

/**
 * Why a secret path is refused (cli §15.3, our fix of wire §8), or null when it is acceptable.
 * Registry paths are trimmed of leading/trailing "/" before this; generic paths are not.
 */
export function pathProblem(path: string): string | null {
  if (path === "") return "empty";
  return describeSegmentProblem(path) ?? (hasLongHexRun(path) ? "64+ hex digit run" : null);
}

/** Registry routes strip "/" from both ends of the wildcard value (wire §5.2 step 1). */
export function trimSlashes(path: string): string {
  let start = 0;
  let end = path.length;
  while (start < end && path[start] === "/") start++;
  while (end > start && path[end - 1] === "/") end--;
  return path.slice(start, end);
}

function readRecord(kv: KV, path: string): MetadataRecord | null {
  const raw = kv.get(METADATA_PREFIX + path);
  if (!raw) return null;
  const field = (key: keyof MetadataRecord): string => raw[key] ?? "";
  return {
    meta_version: field("meta_version"),
    meta_created: field("meta_created"),
    meta_updated: field("meta_updated"),
    meta_description: field("meta_description"),
    meta_tags: field("meta_tags"),
    meta_type: field("meta_type"),
    meta_expires: field("meta_expires"),
    meta_deleted: field("meta_deleted"),
    meta_versions_history: field("meta_versions_history"),
  };
}

function storeRecord(kv: KV, path: string, record: MetadataRecord): void {
  kv.set(METADATA_PREFIX + path, { ...record });
}

function versionOf(record: MetadataRecord): number {
  const n = Number.parseInt(record.meta_version, 10);
  return Number.isFinite(n) ? n : 0;
}

export function metadataObject(path: string, record: MetadataRecord): MetadataObject {
  const slash = path.indexOf("/");
  const out: MetadataObject = {
    path,
    service: slash < 0 ? path : path.slice(0, slash),
    ...(slash < 0 ? {} : { name: path.slice(slash + 1) }),
    version: versionOf(record),
  };
  if (record.meta_created) out.created = record.meta_created;
  if (record.meta_updated) out.updated = record.meta_updated;
  if (record.meta_description) out.description = record.meta_description;
  // Tags are stored joined with ";", so a tag that contained ";" comes back as several (wire §5.3).
  if (record.meta_tags) out.tags = record.meta_tags.split(";");
  if (record.meta_type) out.type = record.meta_type;
  if (record.meta_expires) out.expires = record.meta_expires;
  if (record.meta_deleted === "true") out.deleted = true;
  return out;
}

export function getMetadata(kv: KV, path: string): MetadataObject | null {
  const record = readRecord(kv, path);
  return record ? metadataObject(path, record) : null;
}

/** Stores a new current value; archives the previous one and un-deletes (wire §5.2 step 5–6). */
export function writeSecret(
  kv: KV,
  path: string,
  fields: Record<string, string>,
  now: Date,
): { created: boolean; metadata: MetadataObject } {
  const stamp = registryTimestamp(now);
  const existing = readRecord(kv, path);
  let record: MetadataRecord;
  if (existing) {
    const oldVersion = versionOf(existing);
    const current = kv.get(SECRETS_PREFIX + path);
    let history = existing.meta_versions_history;
    if (current) {
      kv.set(`${SECRETS_PREFIX}${path}/v${oldVersion}`, current);
      const entries = history ? history.split(";") : [];
      entries.push(`${oldVersion}:${existing.meta_updated}`);
      history = entries.slice(-HISTORY_LIMIT).join(";");
    }
    record = {
      ...existing,
      meta_version: String(oldVersion + 1),
      meta_updated: stamp,
      meta_versions_history: history,
      meta_deleted: "",
    };
  } else {
    record = {
      meta_version: "1",
      meta_created: stamp,
      meta_updated: stamp,
      meta_description: "",
      meta_tags: "",
      meta_type: "generic",
      meta_expires: "",
      meta_deleted: "",
      meta_versions_history: "",
    };
  }
  kv.set(SECRETS_PREFIX + path, { ...fields });
  storeRecord(kv, path, record);
  return { created: existing === null, metadata: metadataObject(path, record) };
}

export interface MetadataPatch {
  description: string;
  tags: string[];
  type: string;
  expires: string;
}

/** Merges non-empty fields only (fields cannot be cleared); always moves `updated`. Null when absent. */
export function mergeMetadata(kv: KV, path: string, patch: MetadataPatch, now: Date): MetadataObject | null {
  const record = readRecord(kv, path);
  if (!record) return null;
  if (patch.description) record.meta_description = patch.description;
  if (patch.tags.length > 0) record.meta_tags = patch.tags.join(";");
  if (patch.type) record.meta_type = patch.type;
  if (patch.expires) record.meta_expires = patch.expires;
  record.meta_updated = registryTimestamp(now);
  storeRecord(kv, path, record);
  return metadataObject(path, record);
}

/** Marks the secret deleted, keeping value and versions. False when there is no such secret. */
export function softDelete(kv: KV, path: string, now: Date): boolean {
  const record = readRecord(kv, path);
  if (!record) return false;
  record.meta_deleted = "true";
  record.meta_updated = registryTimestamp(now);
  storeRecord(kv, path, record);
  return true;
}

function archiveKeys(kv: KV, path: string): string[] {
  const prefix = `${SECRETS_PREFIX}${path}/v`;
  const keys: string[] = [];
  for (const key of kv.keys()) {
    if (!key.startsWith(prefix) || !/^\d+$/.test(key.slice(prefix.length))) continue;
    // `<p>/v3` with its own metadata record is a separate live secret, not an archive of <p>.
    if (kv.has(METADATA_PREFIX + key.slice(SECRETS_PREFIX.length))) continue;
    keys.push(key);
  }
  return keys;
}

/** Hard delete: every archived version (not only the last 10, our fix), the value and the metadata. */
export function purgeSecret(kv: KV, path: string): boolean {
  if (!kv.has(METADATA_PREFIX + path)) return false;
  for (const key of archiveKeys(kv, path)) kv.delete(key);
  kv.delete(SECRETS_PREFIX + path);
  kv.delete(METADATA_PREFIX + path);
  return true;
}

function isSoftDeleted(kv: KV, path: string): boolean {
  return kv.get(METADATA_PREFIX + path)?.["meta_deleted"] === "true";
}

/**
 * The value fields, or null when absent or soft-deleted (our fix: the real server still serves those).
 * Archived versions stay readable at `<p>/v<N>` as on the real server, unless `<p>` is soft-deleted.
 */
export function readSecret(kv: KV, path: string): Record<string, string> | null {
  const fields = kv.get(SECRETS_PREFIX + path);
  if (!fields || isSoftDeleted(kv, path)) return null;
  const archive = /^(.+)\/v\d+$/.exec(path);
  if (archive?.[1] && isSoftDeleted(kv, archive[1])) return null;
  return fields;
}

export interface HistoryEntry {
  version: number;
  created?: string;
}

/** Archived versions oldest first, then the current one; null when version is 0 (wire §5.8). */
export function secretHistory(
  kv: KV,
  path: string,
): { path: string; versions: HistoryEntry[] | null } | null {
  const record = readRecord(kv, path);
  if (!record) return null;
  const current = versionOf(record);
  if (current === 0) return { path, versions: null };
  const versions: HistoryEntry[] = [];
  for (const entry of record.meta_versions_history ? record.meta_versions_history.split(";") : []) {
    const colon = entry.indexOf(":");
    const version = Number.parseInt(colon < 0 ? entry : entry.slice(0, colon), 10);
    const created = colon < 0 ? "" : entry.slice(colon + 1);
    versions.push({ version: Number.isFinite(version) ? version : 0, ...(created ? { created } : {}) });
  }
  versions.push({ version: current, ...(record.meta_updated ? { created: record.meta_updated } : {}) });
  return { path, versions };
}

/** Every metadata record, sorted by path (the real server's order is Go map order). */
export function listMetadata(kv: KV, includeDeleted: boolean): MetadataObject[] {
  const items: MetadataObject[] = [];
  for (const key of kv.keys()) {
    if (!key.startsWith(METADATA_PREFIX)) continue;
    const path = key.slice(METADATA_PREFIX.length);
    const item = getMetadata(kv, path);
    if (item && (includeDeleted || !item.deleted)) items.push(item);
  }
  return items.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
}

/** SHA-256 input for a generic vend's provider_token_hash: `<len(k)>:<k>=<len(v)>:<v>;` in key order. */
export function canonicalFields(fields: Record<string, string>): string {
  let out = "";
  for (const key of Object.keys(fields).sort(compareBytes)) {
    const value = fields[key] ?? "";
    out += `${Buffer.byteLength(key)}:${key}=${Buffer.byteLength(value)}:${value};`;
  }
  return out;
}

/** Go sorts map keys by bytes; UTF-16 order differs only above the BMP, so compare UTF-8. */
export function compareBytes(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a), Buffer.from(b));
}

export function sortedObject(fields: Record<string, string>): Record<string, string> {
  return Object.fromEntries(
    Object.keys(fields)
      .sort(compareBytes)
      .map((k) => [k, fields[k] ?? ""]),
  );
}
