// lstat(2) and isatty(3) from the C library through Bun's FFI, for the hot path of `kpm run` in
// env-scan mode. Under Bun 1.4 the first use of node:fs costs ~1.5 ms of a ~10 ms process, and
// that path needs nothing else from it: the §7.3/§7.6 checks of the runtime directory and the
// socket, and whether stdio is a terminal. libc is bound on the first call (~0.15 ms, statLibc):
// no caller has to remember to open it.
//
// FFI returns struct stat as raw bytes, so lstat is read through libc only where the layout is
// known and tested (LAYOUTS). Elsewhere, for a path that C cannot spell (a NUL byte), and on every
// failure, node:fs answers: its errors (ENOENT, EACCES, …) are the ones callers report.
import { requireBuiltin } from "@kpm/deferred";
import { type Dlopen, LIBRARY_NAMES, nativeDlopen } from "./binding.ts";

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

export const isDirectory = (status: LinkStatus): boolean => (status.mode & S_IFMT) === S_IFDIR;
export const isSymbolicLink = (status: LinkStatus): boolean => (status.mode & S_IFMT) === S_IFLNK;
export const isSocket = (status: LinkStatus): boolean => (status.mode & S_IFMT) === S_IFSOCK;

/** Byte offsets of st_mode and st_uid (both 32-bit, little-endian) and sizeof(struct stat). */
interface StatLayout {
  size: number;
  mode: number;
  uid: number;
}

/**
 * The kernel's struct stat, which glibc (≥ 2.33 exports lstat) and musl use unchanged on these
 * targets: x86_64 (dev, ino, nlink: 8 bytes each; mode, uid) and the generic layout of arm64
 * (dev, ino: 8 bytes; mode, nlink: 4; uid).
 */
export const LAYOUTS: Readonly<Record<string, StatLayout>> = {
  "linux-x64": { size: 144, mode: 24, uid: 28 },
  "linux-arm64": { size: 128, mode: 16, uid: 24 },
};

/** The bound C functions; lstat only where the stat layout is known. */
export interface Libc {
  isatty(fd: number): number;
  lstat?: (path: Uint8Array, buffer: Uint8Array) => number;
  layout?: StatLayout;
}

interface SymbolSpec {
  args: string[];
  returns: string;
}

const ISATTY: SymbolSpec = { args: ["i32"], returns: "i32" };
const LSTAT: SymbolSpec = { args: ["ptr", "ptr"], returns: "i32" };

type Symbols = Record<string, (...args: unknown[]) => number>;

/** Binds libc for a platform: lstat and isatty where the stat layout is known, else isatty alone. */
export function bindLibc(dlopen: Dlopen, platform: string, arch: string): Libc | null {
  const names = LIBRARY_NAMES[platform];
  if (!names) return null;
  const layout = LAYOUTS[`${platform}-${arch}`];
  for (const name of names) {
    try {
      // bun:ffi throws; the native function it wraps returns the Error.
      const library = dlopen(name, layout ? { isatty: ISATTY, lstat: LSTAT } : { isatty: ISATTY });
      if (library instanceof Error) continue;
      const symbols = (library as { symbols: Symbols }).symbols;
      const isatty = (fd: number) => (symbols.isatty as (fd: number) => number)(fd);
      if (!layout) return { isatty };
      return { isatty, lstat: symbols.lstat as NonNullable<Libc["lstat"]>, layout };
    } catch {
      // Not this name, or no lstat symbol (glibc < 2.33): try the next one.
    }
  }
  return null;
}

let bound: Libc | null | undefined;
let statBuffer: Uint8Array | undefined;

/** This process's libc for lstat and isatty, bound on first use; null where it cannot be bound. */
function statLibc(): Libc | null {
  if (bound === undefined) {
    const dlopen = nativeDlopen();
    bound = dlopen ? bindLibc(dlopen, process.platform, process.arch) : null;
  }
  return bound;
}

const encoder = new TextEncoder();

/** lstat(2) through libc: the status, "failed", or undefined where libc cannot answer (unbound, a NUL byte). */
function libcLstat(path: string): LinkStatus | "failed" | undefined {
  const c = statLibc();
  if (!c?.lstat || !c.layout || path.includes("\0")) return undefined;
  statBuffer ??= new Uint8Array(c.layout.size);
  if (c.lstat(encoder.encode(`${path}\0`), statBuffer) !== 0) return "failed";
  const view = new DataView(statBuffer.buffer);
  return { mode: view.getUint32(c.layout.mode, true), uid: view.getUint32(c.layout.uid, true) };
}

/**
 * lstat(2): the entry itself, a symbolic link not followed; through libc where it can answer.
 * Throws node:fs's error when the path cannot be inspected.
 */
export function lstat(path: string): LinkStatus {
  const status = libcLstat(path);
  if (status !== undefined && status !== "failed") return status;
  const stats = requireBuiltin("node:fs").lstatSync(path);
  return { mode: stats.mode, uid: stats.uid };
}

/**
 * lstat(2) for "is anything there?": the entry's status, or null when it cannot be inspected
 * (missing, ENOTDIR, no access), never an error. Through libc, a miss costs no node:fs either:
 * lstat's fallback loads it only to word an error nobody reads here.
 */
export function lstatIfPresent(path: string): LinkStatus | null {
  const status = libcLstat(path);
  if (status === "failed") return null;
  if (status !== undefined) return status;
  try {
    return lstat(path);
  } catch {
    return null;
  }
}

/** isatty(3) through libc, or undefined where libc cannot be bound. */
export function isatty(fd: number): boolean | undefined {
  const c = statLibc();
  return c ? c.isatty(fd) === 1 : undefined;
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
