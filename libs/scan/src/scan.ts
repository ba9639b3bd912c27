// Scanning files: read each (bounded), skip binaries (a NUL in the first 8 KiB, as git does)
// and oversized files, and run the detectors.
import { BoundedReadError, readFileBounded } from "@kpm/bounded-read";
import { detectInText } from "./detectors.ts";
import type { Finding } from "./finding.ts";

export const BINARY_PROBE_BYTES = 8192;
/** Larger files are skipped and counted: secrets live in config and source, not in dumps. */
export const MAX_FILE_BYTES = 10 * 1024 * 1024;

export interface ScanStats {
  files: number;
  bytes: number;
  skippedBinary: number;
  skippedLarge: number;
  unreadable: number;
}

export interface ScanResult {
  findings: Finding[];
  stats: ScanStats;
}

export interface FileInput {
  /** Where to read it. */
  path: string;
  /** How findings name it. */
  label: string;
}

export function emptyStats(): ScanStats {
  return { files: 0, bytes: 0, skippedBinary: 0, skippedLarge: 0, unreadable: 0 };
}

/** A text file's content, or why it is skipped (read through kpm's one bounded reader). */
export function readTextFile(
  path: string,
): { text: string } | { skipped: "binary" | "large" | "unreadable" } {
  let bytes: Uint8Array;
  try {
    bytes = readFileBounded(path, MAX_FILE_BYTES, { regularOnly: true });
  } catch (error) {
    return {
      skipped: error instanceof BoundedReadError && error.code === "too_large" ? "large" : "unreadable",
    };
  }
  if (bytes.subarray(0, BINARY_PROBE_BYTES).includes(0)) return { skipped: "binary" };
  return { text: new TextDecoder().decode(bytes) };
}

export async function scanFiles(inputs: FileInput[]): Promise<ScanResult> {
  const stats = emptyStats();
  const findings: Finding[] = [];
  for (const input of inputs) {
    const read = readTextFile(input.path);
    if ("skipped" in read) {
      if (read.skipped === "binary") stats.skippedBinary++;
      else if (read.skipped === "large") stats.skippedLarge++;
      else stats.unreadable++;
      continue;
    }
    stats.files++;
    stats.bytes += read.text.length;
    findings.push(...(await detectInText(input.label, read.text)));
  }
  return { findings, stats };
}

/** Scan text that is not a file (environment variables, staged blobs) under a label. */
export async function scanText(label: string, text: string): Promise<Finding[]> {
  return detectInText(label, text);
}
