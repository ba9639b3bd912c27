// lstat(2) and the whole-file calls from the C library through Bun's FFI (isatty(3) is tty.ts),
// for the hot path of `kpm run` in env-scan mode. Under Bun 1.4 the first use of node:fs costs
// ~1.5 ms of a ~10 ms process, and that path needs nothing else from it: the §7.3/§7.6 checks of
// the runtime directory and the socket. libc is bound on the first call (~0.15 ms, statLibc):
// no caller has to remember to open it.
//
// FFI returns struct stat as raw bytes, so lstat is read through libc only where the layout is
// known and tested (LAYOUTS). Elsewhere, for a path that C cannot spell (a NUL byte), and on every
// failure, node:fs answers: its errors (ENOENT, EACCES, …) are the ones callers report.
import { requireBuiltin } from "@kpm/deferred";
import { type Dlopen, LIBRARY_NAMES, nativeDlopen, openFirst } from "./binding.ts";

export { type Dlopen, nativeDlopen } from "./binding.ts";

/** What callers of lstat use: the st_mode (type and permission bits) and st_uid. */
export interface LinkStatus {
  mode: number;
  uid: number;
}

const S_IFMT = 0o170000;
const S_IFDIR = 0o040000;
const S_IFLNK = 0o120000;
const S_IFSOCK = 0o140000;
const S_IFREG = 0o100000;

export const isDirectory = (status: LinkStatus): boolean => (status.mode & S_IFMT) === S_IFDIR;
export const isSymbolicLink = (status: LinkStatus): boolean => (status.mode & S_IFMT) === S_IFLNK;
export const isSocket = (status: LinkStatus): boolean => (status.mode & S_IFMT) === S_IFSOCK;

/** Byte offsets of st_mode and st_uid (both 32-bit), st_size (64-bit), and sizeof(struct stat). */
interface StatLayout {
  size: number;
  mode: number;
  uid: number;
  fileSize: number;
}

/**
 * The kernel's struct stat, which glibc (≥ 2.33 exports lstat) and musl use unchanged on these
 * targets: x86_64 (dev, ino, nlink: 8 bytes each; mode, uid) and the generic layout of arm64
 * (dev, ino: 8 bytes; mode, nlink: 4; uid).
 */
export const LAYOUTS: Readonly<Record<string, StatLayout>> = {
  // x86_64: dev, ino, nlink, mode, uid, gid, pad, rdev, then size at 48.
  "linux-x64": { size: 144, mode: 24, uid: 28, fileSize: 48 },
  // generic: dev, ino, mode, nlink, uid, gid, rdev, pad, then size at 48.
  "linux-arm64": { size: 128, mode: 16, uid: 24, fileSize: 48 },
};

/** The bound C functions: bound only where the stat layout is known. */
export interface Libc {
  lstat: (path: Uint8Array, buffer: Uint8Array) => number;
  stat: (path: Uint8Array, buffer: Uint8Array) => number;
  realpath: (path: Uint8Array, resolved: Uint8Array) => number | null;
  files: FileCalls;
  layout: StatLayout;
}

/** open/fstat/read/close: what a whole-file read needs (openRegularFile, readInto, closeFile). */
interface FileCalls {
  /** errno right after a failed call (-1 where it cannot be read). */
  errno(): number;
  open(path: Uint8Array, flags: number): number;
  fstat(fd: number, buffer: Uint8Array): number;
  read(fd: number, buffer: Uint8Array, count: number): number;
  close(fd: number): number;
}

interface SymbolSpec {
  args: string[];
  returns: string;
}

const LSTAT: SymbolSpec = { args: ["ptr", "ptr"], returns: "i32" };
/** Bound with lstat, in the same dlopen (a second one costs ~0.1 ms more). */
const FILE_SYMBOLS: Record<string, SymbolSpec> = {
  stat: LSTAT,
  realpath: { args: ["ptr", "ptr"], returns: "ptr" },
  __errno_location: { args: [], returns: "ptr" },
  open: { args: ["ptr", "i32"], returns: "i32" },
  fstat: { args: ["i32", "ptr"], returns: "i32" },
  read: { args: ["i32", "ptr", "u64"], returns: "i64_fast" },
  close: { args: ["i32"], returns: "i32" },
};

type Symbols = Record<string, (...args: unknown[]) => number>;

/** Binds lstat and the file calls for a platform where the struct stat layout is known; else null. */
export function bindLibc(dlopen: Dlopen, platform: string, arch: string): Libc | null {
  const names = LIBRARY_NAMES[platform];
  const layout = LAYOUTS[`${platform}-${arch}`];
  if (!names || !layout) return null;
  // glibc < 2.33 exports no lstat or stat: then no name opens with these symbols.
  const symbols = openFirst<Symbols>(dlopen, names, { lstat: LSTAT, ...FILE_SYMBOLS });
  if (symbols === null) return null;
  return {
    lstat: symbols.lstat as Libc["lstat"],
    stat: symbols.stat as Libc["stat"],
    realpath: symbols.realpath as Libc["realpath"],
    files: { ...(symbols as unknown as FileCalls), errno: errnoReader(symbols.__errno_location) },
    layout,
  };
}

/** Reads the calling thread's errno through __errno_location and Bun.FFI.read. */
function errnoReader(location: ((...args: unknown[]) => unknown) | undefined): () => number {
  const read = (Bun as unknown as { FFI?: { read?: { i32?: (address: unknown, offset: number) => number } } })
    .FFI?.read?.i32;
  return () => (location && read ? read(location(), 0) : -1);
}

let bound: Libc | null | undefined;
let statBuffer: Uint8Array | undefined;

/** This process's libc for lstat and the file calls, bound on first use; null where it cannot be bound. */
function statLibc(): Libc | null {
  if (bound === undefined) {
    const dlopen = nativeDlopen();
    bound = dlopen ? bindLibc(dlopen, process.platform, process.arch) : null;
  }
  return bound;
}

const encoder = new TextEncoder();

/** lstat(2), or stat(2) with `follow`, through libc: the status, "failed", or undefined where libc cannot answer (unbound, a NUL byte). */
function libcStatus(path: string, follow = false): LinkStatus | "failed" | undefined {
  const c = statLibc();
  if (!c || path.includes("\0")) return undefined;
  const call = follow ? c.stat : c.lstat;
  statBuffer ??= new Uint8Array(c.layout.size);
  if (call(encoder.encode(`${path}\0`), statBuffer) !== 0) return "failed";
  const view = new DataView(statBuffer.buffer);
  return { mode: view.getUint32(c.layout.mode, true), uid: view.getUint32(c.layout.uid, true) };
}

/**
 * lstat(2): the entry itself, a symbolic link not followed; through libc where it can answer.
 * Throws node:fs's error when the path cannot be inspected.
 */
export function lstat(path: string): LinkStatus {
  return statusOf(path, false);
}

/**
 * stat(2): the entry a symbolic link points to, through libc where it can answer. Throws
 * node:fs's error when the path cannot be inspected.
 */
export function stat(path: string): LinkStatus {
  return statusOf(path, true);
}

/** lstat or stat (`follow`) through libc, else node:fs, whose error is the one thrown. */
function statusOf(path: string, follow: boolean): LinkStatus {
  const status = libcStatus(path, follow);
  if (status !== undefined && status !== "failed") return status;
  const fs = requireBuiltin("node:fs");
  const stats = follow ? fs.statSync(path) : fs.lstatSync(path);
  return { mode: stats.mode, uid: stats.uid };
}

export const isRegularFile = (status: LinkStatus): boolean => (status.mode & S_IFMT) === S_IFREG;

// open(2) flags, the same on x86_64 and arm64 (and what node:fs's constants say there).
export const O_RDONLY = 0;
export const O_NOCTTY = 0o400;
export const O_NONBLOCK = 0o4000;
export const O_CLOEXEC = 0o2000000;

/** errno values the same on x86_64 and arm64 (asm-generic), by the name node:fs gives them. */
export const ERRNO_NAMES: Readonly<Record<number, string>> = { 2: "ENOENT", 20: "ENOTDIR" };

/** A regular file open for reading (close it with closeFile): its descriptor, st_mode and st_size. */
export interface OpenedFile {
  fd: number;
  mode: number;
  size: number;
}

/**
 * open(2) of a regular file through libc, for a reader that needs no node:fs on its success path
 * (loading it costs ~3 ms in a compiled binary). `missing` with the errno name when stat or open
 * failed for one of ERRNO_NAMES (a profile walk up the tree misses at almost every level);
 * undefined — libc unbound, not a regular file, any other failure — and the caller opens it its
 * own way (for node:fs's error wording, or a device read byte by byte). Stat comes before open: a
 * FIFO or device is never opened here, so nothing it holds is consumed before node:fs reads it
 * (and a FIFO without a writer cannot block this open).
 */
export function openRegularFile(path: string, flags: number): OpenedFile | { missing: string } | undefined {
  const c = statLibc();
  if (!c || path.includes("\0")) return undefined;
  const { files, layout } = c;
  const name = encoder.encode(`${path}\0`);
  const failed = () => {
    const errno = ERRNO_NAMES[files.errno()];
    return errno === undefined ? undefined : { missing: errno };
  };
  const before = new Uint8Array(layout.size);
  if (c.stat(name, before) !== 0) return failed();
  if ((new DataView(before.buffer).getUint32(layout.mode, true) & S_IFMT) !== S_IFREG) return undefined;
  const fd = files.open(name, flags | O_CLOEXEC);
  if (fd < 0) return failed();
  const status = new Uint8Array(layout.size);
  const view = new DataView(status.buffer);
  // Replaced between the stat and the open: not ours to read.
  if (files.fstat(fd, status) !== 0 || (view.getUint32(layout.mode, true) & S_IFMT) !== S_IFREG) {
    files.close(fd);
    return undefined;
  }
  return {
    fd,
    mode: view.getUint32(layout.mode, true),
    size: Number(view.getBigInt64(layout.fileSize, true)),
  };
}

/** read(2) through libc into `buffer`: the byte count, 0 at the end, -1 on failure or where unbound. */
export function readInto(fd: number, buffer: Uint8Array): number {
  const files = statLibc()?.files;
  return files ? files.read(fd, buffer, buffer.byteLength) : -1;
}

/** close(2) of a descriptor openRegularFile gave. */
export function closeFile(fd: number): void {
  statLibc()?.files.close(fd);
}

/**
 * lstat(2) for "is anything there?": the entry's status, or null when it cannot be inspected
 * (missing, ENOTDIR, no access), never an error. Through libc, a miss costs no node:fs either:
 * lstat's fallback loads it only to word an error nobody reads here.
 */
export function lstatIfPresent(path: string): LinkStatus | null {
  return statusIfPresent(path, false);
}

/** stat(2) for "is anything there?": lstatIfPresent with symbolic links followed. */
export function statIfPresent(path: string): LinkStatus | null {
  return statusIfPresent(path, true);
}

function statusIfPresent(path: string, follow: boolean): LinkStatus | null {
  const status = libcStatus(path, follow);
  if (status === "failed") return null;
  if (status !== undefined) return status;
  try {
    return statusOf(path, follow);
  } catch {
    return null;
  }
}

/** PATH_MAX on Linux: the buffer realpath(3) fills. */
const PATH_MAX = 4096;

/**
 * realpath(3): the absolute path with every symbolic link, "." and ".." resolved, or null when it
 * cannot be resolved (missing, no access); node:fs answers where libc cannot.
 */
export function realPathIfPresent(path: string): string | null {
  const c = statLibc();
  if (c && !path.includes("\0")) {
    const resolved = new Uint8Array(PATH_MAX);
    if (c.realpath(encoder.encode(`${path}\0`), resolved) === null) return null;
    const end = resolved.indexOf(0);
    return new TextDecoder().decode(resolved.subarray(0, end === -1 ? PATH_MAX : end));
  }
  try {
    return requireBuiltin("node:fs").realpathSync(path);
  } catch {
    return null;
  }
}

export {
  closeDescriptor,
  encodeEnvironment,
  execute,
  getParentDeathSignal,
  ignoredSignals,
  openPipe,
  prepareForExec,
  receiveBlock,
  sendBlock,
  setParentDeathSignal,
} from "./exec.ts";
export {
  getDumpable,
  getResourceLimit,
  hardenProcess,
  type LibcResult,
  PR_GET_DUMPABLE,
  PR_GET_NO_NEW_PRIVS,
  PR_GET_PDEATHSIG,
  PR_SET_DUMPABLE,
  PR_SET_NO_NEW_PRIVS,
  PR_SET_PDEATHSIG,
  prctl,
  type ResourceLimit,
  RLIMIT_CORE,
  RLIMIT_NOFILE,
  setDumpable,
  setResourceLimit,
} from "./hardening.ts";
export {
  ACCESS_FS,
  encodePathBeneathAttr,
  encodeRulesetAttr,
  fileAccess,
  handledAccess,
  LANDLOCK_CREATE_RULESET_VERSION,
  type LandlockRule,
  landlockAbi,
  PATH_BENEATH_ATTR_LAYOUT,
  RULESET_ATTR_LAYOUT,
  restrictSelf,
  rulesetAttrSize,
} from "./landlock.ts";
export { isPidAlive } from "./pid.ts";
export {
  bindProcessLibc,
  type ProcessLibc,
  processLibc,
  RLIMIT_LAYOUTS,
  unsupportedReason,
} from "./process-binding.ts";
export { decodeUcred, type PeerCredentials, peerCredentials, UCRED_LAYOUT } from "./socket.ts";
export { bindIsatty, isatty } from "./tty.ts";
