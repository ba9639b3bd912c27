// The dev server's encrypted KV (secrets.enc) with an in-memory index: reads cost one stat when
// nothing changed; writes are locked across processes, atomic and fsync'd (cli §15.3).
import {
  closeSync,
  existsSync,
  fchmodSync,
  fstatSync,
  fsyncSync,
  openSync,
  readFileSync,
  renameSync,
  rmSync,
  type Stats,
  statSync,
  writeSync,
} from "node:fs";
import { join } from "node:path";
import { DevError, ioError } from "./errors.ts";
import { withStoreLock } from "./lock.ts";
import { readPemText } from "./read-pem.ts";
import { decryptStore, deriveStoreKey, encodeStorePlaintext, encryptStore, type KV } from "./store-crypto.ts";

export type { KV } from "./store-crypto.ts";

/** What identifies one version of a file on disk; a rename-over always changes the inode. */
interface FileStamp {
  size: number;
  mtimeMs: number;
  ino: number;
}

export class SecretStore {
  readonly dir: string;
  readonly file: string;
  private readonly serverKeyFile: string;
  private index: KV = new Map();
  private indexStamp: FileStamp | null = null;
  private key: Uint8Array | null = null;
  private keyStamp: FileStamp | null = null;

  constructor(dir: string) {
    this.dir = dir;
    this.file = join(dir, "secrets.enc");
    this.serverKeyFile = join(dir, "server.key");
  }

  exists(): boolean {
    return existsSync(this.file);
  }

  /**
   * The current KV. Shared with the store's cache: treat it as read-only and change data only
   * through update(). A missing file is an empty store; an undecryptable one throws store_corrupt.
   */
  read(): KV {
    const stat = statSync(this.file, { throwIfNoEntry: false });
    if (!stat) {
      if (this.indexStamp !== null || this.index.size > 0) this.index = new Map();
      this.indexStamp = null;
      return this.index;
    }
    if (this.indexStamp && sameStamp(this.indexStamp, stat)) return this.index;
    this.reload();
    return this.index;
  }

  /**
   * Applies `mutate` to a copy of the KV under the cross-process lock and writes the result if it
   * changed. If `mutate` throws, or the store cannot be decrypted, nothing is written.
   */
  async update<T>(mutate: (kv: KV) => T): Promise<T> {
    // Fail with "run enroll" rather than a lock-file error when the data dir is not set up.
    this.storeKey();
    return withStoreLock(this.dir, () => {
      const current = this.read();
      const next = copyKV(current);
      const result = mutate(next);
      if (!equalKV(current, next)) this.write(next);
      return result;
    });
  }

  private reload(): void {
    let stamp: FileStamp;
    let bytes: Uint8Array;
    try {
      // Stamp and bytes from the same open file, so a concurrent rename cannot mismatch them.
      const fd = openSync(this.file, "r");
      try {
        stamp = toStamp(fstatSync(fd));
        bytes = readFileSync(fd);
      } finally {
        closeSync(fd);
      }
    } catch (error) {
      throw ioError(`read ${this.file}`, error);
    }
    const key = this.storeKey();
    try {
      this.index = decryptStore(key, bytes);
    } catch (error) {
      throw new DevError(
        "store_corrupt",
        `cannot decrypt ${this.file} (wrong server.key or corrupt file); refusing to overwrite it`,
        { cause: error },
      );
    }
    this.indexStamp = stamp;
  }

  /** The file key, re-derived when server.key was replaced (enroll --force while serving). */
  private storeKey(): Uint8Array {
    const stat = statSync(this.serverKeyFile, { throwIfNoEntry: false });
    if (!stat) throw new DevError("no_pki", `no server key in ${this.dir} (server.key); run: kpm dev enroll`);
    if (this.key && this.keyStamp && sameStamp(this.keyStamp, stat)) return this.key;
    const pem = readPemText(this.serverKeyFile);
    let key: Uint8Array;
    try {
      key = deriveStoreKey(pem);
    } catch (error) {
      throw new DevError("store_corrupt", `${this.serverKeyFile} is not a readable EC private key`, {
        cause: error,
      });
    }
    this.key?.fill(0);
    this.key = key;
    this.keyStamp = toStamp(stat);
    return key;
  }

  /** Write-then-rename with fsync of the file and the directory, so a crash leaves old or new, never half. */
  private write(kv: KV): void {
    const key = this.storeKey();
    const plaintext = encodeStorePlaintext(kv);
    const bytes = encryptStore(key, plaintext);
    plaintext.fill(0);
    const temporary = `${this.file}.tmp`;
    let created = false;
    try {
      const fd = openSync(temporary, "w", 0o600);
      created = true;
      try {
        fchmodSync(fd, 0o600);
        let offset = 0;
        while (offset < bytes.length) offset += writeSync(fd, bytes, offset);
        fsyncSync(fd);
      } finally {
        closeSync(fd);
      }
      renameSync(temporary, this.file);
      created = false;
      syncDirectory(this.dir);
    } catch (error) {
      if (created) rmSync(temporary, { force: true });
      throw ioError(`write ${this.file}`, error);
    }
    this.index = kv;
    this.indexStamp = toStamp(statSync(this.file));
  }
}

function syncDirectory(dir: string): void {
  const fd = openSync(dir, "r");
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

function toStamp(stat: Stats): FileStamp {
  return { size: stat.size, mtimeMs: stat.mtimeMs, ino: stat.ino };
}

function sameStamp(stamp: FileStamp, stat: Stats): boolean {
  return stamp.size === stat.size && stamp.mtimeMs === stat.mtimeMs && stamp.ino === stat.ino;
}

function copyKV(kv: KV): KV {
  const copy: KV = new Map();
  for (const [path, fields] of kv) copy.set(path, { ...fields });
  return copy;
}

function equalKV(a: KV, b: KV): boolean {
  if (a.size !== b.size) return false;
  for (const [path, fieldsA] of a) {
    const fieldsB = b.get(path);
    if (!fieldsB) return false;
    const namesA = Object.keys(fieldsA);
    if (namesA.length !== Object.keys(fieldsB).length) return false;
    for (const name of namesA) {
      if (!Object.hasOwn(fieldsB, name) || fieldsA[name] !== fieldsB[name]) return false;
    }
  }
  return true;
}
