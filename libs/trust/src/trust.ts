// The trust commands as library calls: record a project's files, forget a directory, list what
// is recorded. Each reads the store first, so a corrupt store is reported and never overwritten.

import { sep } from "@kpm/deferred/path";
import { sha256Hex } from "./hash.ts";
import { projectFiles } from "./project-files.ts";
import { readRegularFile } from "./read-file.ts";
import { readTrustStore, writeTrustStore } from "./store.ts";
import { realProjectDir, trustKey } from "./trust-key.ts";

/** kpm reads no template or allow-list larger than this, so a larger file is never worth trusting. */
export const MAX_TRUSTED_FILE_BYTES = 1024 * 1024;

export interface TrustedFile {
  /** As found under the project directory. */
  path: string;
  /** The store's name for it (trustKey). */
  key: string;
  hash: string;
}

export interface TrustOutcome {
  trusted: TrustedFile[];
  /** Files or directories that could not be read: `<path>: <detail>`. Not trusted. */
  problems: string[];
}

export interface TrustDirectoryOptions {
  /** More files the project decides for kpm (the default template, resolved in `dir`). */
  extraFiles?: readonly string[];
  /** Files that need no record (under the user's config dir). */
  skip?: (path: string) => boolean;
}

/** Records every project file of `dir` (see projectFiles) with the hash of its current content. */
export function trustDirectory(
  storePath: string,
  dir: string,
  opts: TrustDirectoryOptions = {},
): TrustOutcome {
  const found = projectFiles(dir);
  const candidates = [...new Set([...found.files, ...(opts.extraFiles ?? [])])];
  const outcome = trustFiles(
    storePath,
    dir,
    candidates.filter((path) => !opts.skip?.(path)),
  );
  return { trusted: outcome.trusted, problems: [...found.problems, ...outcome.problems] };
}

/** Records `files` (paths under `projectDir`); missing ones are left out silently. */
export function trustFiles(storePath: string, projectDir: string, files: readonly string[]): TrustOutcome {
  const records = readTrustStore(storePath);
  const outcome: TrustOutcome = { trusted: [], problems: [] };
  for (const path of files) {
    const read = readRegularFile(path, MAX_TRUSTED_FILE_BYTES);
    if (read.kind === "missing") continue;
    if (read.kind === "problem") {
      outcome.problems.push(`${path}: ${read.detail}`);
      continue;
    }
    const file = { path, key: trustKey(projectDir, path), hash: sha256Hex(read.bytes) };
    records.set(file.key, file.hash);
    outcome.trusted.push(file);
  }
  if (outcome.trusted.length > 0) writeTrustStore(storePath, records);
  return outcome;
}

/** Forgets every record at or below `dir` (nested projects included); returns the removed paths. */
export function untrustDirectory(storePath: string, dir: string): string[] {
  const records = readTrustStore(storePath);
  const root = realProjectDir(dir);
  const prefix = root.endsWith(sep) ? root : `${root}${sep}`;
  const removed = [...records.keys()].filter((key) => key === root || key.startsWith(prefix));
  for (const key of removed) records.delete(key);
  if (removed.length > 0) writeTrustStore(storePath, records);
  return removed;
}

export type TrustStatus = "ok" | "changed" | "missing" | "unreadable";

export interface TrustListing {
  path: string;
  hash: string;
  /** ok = the file still has the trusted content; changed = it would be ignored now. */
  status: TrustStatus;
}

export function listTrusted(storePath: string): TrustListing[] {
  return [...readTrustStore(storePath)].map(([path, hash]) => {
    const read = readRegularFile(path, MAX_TRUSTED_FILE_BYTES);
    let status: TrustStatus;
    if (read.kind === "missing") status = "missing";
    else if (read.kind === "problem") status = "unreadable";
    else status = sha256Hex(read.bytes) === hash ? "ok" : "changed";
    return { path, hash, status };
  });
}
