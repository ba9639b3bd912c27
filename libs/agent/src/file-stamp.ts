// Whether a file the agent loaded (config.yaml, a PEM file) has changed since: inode, size and
// mtime, as stat(2) reports them through a symbolic link. A missing file has its own stamp, so a
// file that appears, disappears or is replaced counts as a change.
import { statSync } from "node:fs";

export function fileStamp(path: string): string {
  try {
    const stats = statSync(path, { bigint: true });
    return `${stats.dev}:${stats.ino}:${stats.size}:${stats.mtimeNs}:${stats.ctimeNs}`;
  } catch (error) {
    return `missing:${(error as { code?: string }).code ?? "error"}`;
  }
}

/** Remembers the stamps of the files it is given; `changed()` names the first one that differs. */
export class FileWatch {
  readonly #stamps = new Map<string, string>();

  add(path: string): void {
    if (!this.#stamps.has(path)) this.#stamps.set(path, fileStamp(path));
  }

  changed(): string | null {
    for (const [path, stamp] of this.#stamps) if (fileStamp(path) !== stamp) return path;
    return null;
  }
}
