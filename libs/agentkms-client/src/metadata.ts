// The registry's metadata record as kpm uses it (agentkms-wire.md §5.1).

export interface SecretMetadata {
  path: string;
  service: string;
  name?: string;
  version: number;
  created?: string;
  updated?: string;
  description?: string;
  tags?: string[];
  type?: string;
  expires?: string;
  deleted?: boolean;
}

export interface MetadataUpdate {
  description?: string;
  tags?: string[];
  type?: string;
  expires?: string;
}

interface RawMetadata extends Omit<SecretMetadata, "service" | "tags"> {
  service?: string | undefined;
  tags?: string[] | null | undefined;
}

/** Fills `service`/`name` from `path` when the server left them out, as kpm v0.2.1 did. */
export function toSecretMetadata(raw: RawMetadata): SecretMetadata {
  const slash = raw.path.indexOf("/");
  const service = raw.service || (slash === -1 ? raw.path : raw.path.slice(0, slash));
  const name = raw.name || (slash === -1 ? undefined : raw.path.slice(slash + 1));
  // Field by field, with no rest copy or delete: `list` maps thousands of records.
  const metadata: SecretMetadata = { path: raw.path, service, version: raw.version };
  if (name !== undefined) metadata.name = name;
  if (raw.created !== undefined) metadata.created = raw.created;
  if (raw.updated !== undefined) metadata.updated = raw.updated;
  if (raw.description !== undefined) metadata.description = raw.description;
  if (raw.tags) metadata.tags = raw.tags;
  if (raw.type !== undefined) metadata.type = raw.type;
  if (raw.expires !== undefined) metadata.expires = raw.expires;
  if (raw.deleted !== undefined) metadata.deleted = raw.deleted;
  return metadata;
}

/** Only the fields that are set: the server treats empty values as "unchanged" anyway (wire §5.3). */
export function metadataUpdateBody(update: MetadataUpdate): MetadataUpdate {
  const body: MetadataUpdate = {};
  if (update.description !== undefined) body.description = update.description;
  if (update.tags !== undefined) body.tags = update.tags;
  if (update.type !== undefined) body.type = update.type;
  if (update.expires !== undefined) body.expires = update.expires;
  return body;
}
