// The process-control half of libc (prctl, rlimits, execve and what an exec step needs), bound
// through Bun's FFI on Linux only. It is a separate dlopen from statLibc's isatty/lstat (~0.25 ms
// more): only `kpm run`, the listener and the `_exec` step pay for it, never `kpm get`.
import { type Dlopen, LIBRARY_NAMES, nativeDlopen, openFirst } from "./binding.ts";

/** sizeof(struct rlimit): two rlim_t, 64-bit on these targets (asm-generic and x86_64 alike). */
export const RLIMIT_LAYOUTS: Readonly<Record<string, { size: number; soft: number; hard: number }>> = {
  "linux-x64": { size: 16, soft: 0, hard: 8 },
  "linux-arm64": { size: 16, soft: 0, hard: 8 },
};

/** The bound functions. Pointers are typed arrays; `number` results are C ints or ssize_t. */
export interface ProcessLibc {
  prctl(option: number, arg2: number | bigint, arg3: number, arg4: number, arg5: number): number;
  getrlimit(resource: number, limit: Uint8Array): number;
  setrlimit(resource: number, limit: Uint8Array): number;
  open(path: Uint8Array, flags: number): number;
  sigprocmask(how: number, set: Uint8Array | null, old: Uint8Array | null): number;
  getpid(): number;
  getppid(): number;
  kill(pid: number, signal: number): number;
  execve(path: Uint8Array, argv: BigUint64Array, envp: BigUint64Array): number;
  pipe2(fds: Int32Array, flags: number): number;
  read(fd: number, buffer: Uint8Array, count: number): number;
  write(fd: number, buffer: Uint8Array, count: number): number;
  close(fd: number): number;
  fcntl(fd: number, command: number, argument: number): number;
  signal(signal: number, handler: number): bigint;
  /** syscall(2) with up to four integer (or address) arguments; pass 0 for unused ones. */
  getsockopt(fd: number, level: number, name: number, value: Uint8Array, length: Uint32Array): number;
  syscall(number: number, arg1: number, arg2: number, arg3: number, arg4: number): number;
  /** The calling thread's errno, read right after a failed call. */
  errno(): number;
  /** The address of a typed array's bytes (for argv/envp pointer arrays). */
  addressOf(bytes: ArrayBufferView): number;
  rlimit: { size: number; soft: number; hard: number };
}

const SYMBOLS = {
  // prctl and fcntl are variadic in C; on x86_64 and arm64 Linux integer arguments travel in the
  // same registers either way, so fixed 64-bit slots are passed as the kernel reads them.
  prctl: { args: ["i32", "u64", "u64", "u64", "u64"], returns: "i32" },
  getrlimit: { args: ["i32", "ptr"], returns: "i32" },
  setrlimit: { args: ["i32", "ptr"], returns: "i32" },
  open: { args: ["ptr", "i32"], returns: "i32" },
  sigprocmask: { args: ["i32", "ptr", "ptr"], returns: "i32" },
  getpid: { args: [], returns: "i32" },
  getppid: { args: [], returns: "i32" },
  kill: { args: ["i32", "i32"], returns: "i32" },
  execve: { args: ["ptr", "ptr", "ptr"], returns: "i32" },
  pipe2: { args: ["ptr", "i32"], returns: "i32" },
  read: { args: ["i32", "ptr", "u64"], returns: "i64_fast" },
  write: { args: ["i32", "ptr", "u64"], returns: "i64_fast" },
  close: { args: ["i32"], returns: "i32" },
  fcntl: { args: ["i32", "i32", "i64"], returns: "i32" },
  signal: { args: ["i32", "u64"], returns: "u64" },
  getsockopt: { args: ["i32", "i32", "i32", "ptr", "ptr"], returns: "i32" },
  syscall: { args: ["i64", "i64", "i64", "i64", "i64"], returns: "i64_fast" },
  __errno_location: { args: [], returns: "ptr" },
};

interface Pointers {
  ptr(bytes: ArrayBufferView): number;
  read: { i32(address: number, offset: number): number };
}

type Symbols = Record<string, (...args: unknown[]) => unknown>;

/**
 * Binds the process functions where they exist and struct rlimit is known (Linux x64/arm64);
 * null elsewhere or when libc cannot be opened, and callers report "unsupported".
 */
export function bindProcessLibc(
  dlopen: Dlopen,
  pointers: Pointers,
  platform: string,
  arch: string,
): ProcessLibc | null {
  const rlimit = RLIMIT_LAYOUTS[`${platform}-${arch}`];
  const names = LIBRARY_NAMES[platform];
  if (!rlimit || !names || platform !== "linux") return null;
  const s = openFirst<Symbols>(dlopen, names, SYMBOLS);
  if (s === null) return null;
  const errnoLocation = s.__errno_location as () => number;
  return {
    prctl: s.prctl as ProcessLibc["prctl"],
    getrlimit: s.getrlimit as ProcessLibc["getrlimit"],
    setrlimit: s.setrlimit as ProcessLibc["setrlimit"],
    open: s.open as ProcessLibc["open"],
    sigprocmask: s.sigprocmask as ProcessLibc["sigprocmask"],
    getpid: s.getpid as ProcessLibc["getpid"],
    getppid: s.getppid as ProcessLibc["getppid"],
    kill: s.kill as ProcessLibc["kill"],
    execve: s.execve as ProcessLibc["execve"],
    pipe2: s.pipe2 as ProcessLibc["pipe2"],
    read: s.read as ProcessLibc["read"],
    write: s.write as ProcessLibc["write"],
    close: s.close as ProcessLibc["close"],
    fcntl: s.fcntl as ProcessLibc["fcntl"],
    signal: s.signal as ProcessLibc["signal"],
    getsockopt: s.getsockopt as ProcessLibc["getsockopt"],
    syscall: s.syscall as ProcessLibc["syscall"],
    errno: () => pointers.read.i32(errnoLocation(), 0),
    addressOf: (bytes) => pointers.ptr(bytes),
    rlimit,
  };
}

let bound: ProcessLibc | null | undefined;

/** The process functions of this process's libc (bound once), or null where unsupported. */
export function processLibc(): ProcessLibc | null {
  if (bound === undefined) {
    const dlopen = nativeDlopen();
    const ffi = (Bun as unknown as { FFI?: Partial<Pointers> }).FFI;
    bound =
      dlopen && ffi?.ptr && ffi.read
        ? bindProcessLibc(dlopen, ffi as Pointers, process.platform, process.arch)
        : null;
  }
  return bound;
}

/** Why processLibc() is null on `target`: one phrase for "unsupported" results. */
export function unsupportedReason(target = `${process.platform}-${process.arch}`): string {
  return target in RLIMIT_LAYOUTS
    ? "libc could not be bound through Bun's FFI"
    : `not supported on ${target}`;
}
