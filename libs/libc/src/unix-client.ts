// One request and its one-line answer over a Unix stream socket, with blocking calls through
// Bun's FFI: the warm-agent path of `kpm get` (docs/agent.md). Measured in a compiled binary, this
// costs ~1.2 ms less than `Bun.connect` (no event loop, no socket context to create) — a sixth of
// what that path adds to Bun's own start. Linux only (x64 and arm64 share every constant and
// struct used here); elsewhere, and on any failure, the answer is null and the caller takes its
// usual path.
import { type Dlopen, LIBRARY_NAMES, nativeDlopen } from "./binding.ts";

const AF_UNIX = 1;
const SOCK_STREAM = 1;
const SOCK_CLOEXEC = 0o2000000;
const SOL_SOCKET = 1;
const SO_RCVTIMEO = 20;
const SO_SNDTIMEO = 21;
const NEWLINE = 10;

/** struct sockaddr_un: sa_family_t (u16) then sun_path[108], NUL-terminated. */
export const SOCKADDR_UN = { size: 110, family: 0, path: 2, pathMax: 107 } as const;
/** struct timeval on 64-bit Linux: tv_sec and tv_usec, both 64-bit. */
export const TIMEVAL = { size: 16, seconds: 0, microseconds: 8 } as const;

interface UnixClientLibc {
  socket(domain: number, type: number, protocol: number): number;
  connect(fd: number, address: Uint8Array, length: number): number;
  setsockopt(fd: number, level: number, name: number, value: Uint8Array, length: number): number;
  write(fd: number, buffer: Uint8Array, count: number): number;
  read(fd: number, buffer: Uint8Array, count: number): number;
  close(fd: number): number;
}

const SYMBOLS = {
  socket: { args: ["i32", "i32", "i32"], returns: "i32" },
  connect: { args: ["i32", "ptr", "u32"], returns: "i32" },
  setsockopt: { args: ["i32", "i32", "i32", "ptr", "u32"], returns: "i32" },
  write: { args: ["i32", "ptr", "u64"], returns: "i64_fast" },
  read: { args: ["i32", "ptr", "u64"], returns: "i64_fast" },
  close: { args: ["i32"], returns: "i32" },
};

/** Binds the socket calls on Linux; null elsewhere or when no libc name opens. */
export function bindUnixClient(dlopen: Dlopen, platform: string): UnixClientLibc | null {
  if (platform !== "linux") return null;
  for (const name of LIBRARY_NAMES.linux ?? []) {
    try {
      const library = dlopen(name, SYMBOLS);
      if (library instanceof Error) continue;
      return (library as { symbols: UnixClientLibc }).symbols;
    } catch {
      // Not this name: try the next one.
    }
  }
  return null;
}

let bound: UnixClientLibc | null | undefined;

function unixClientLibc(): UnixClientLibc | null {
  if (bound === undefined) {
    const dlopen = nativeDlopen();
    bound = dlopen ? bindUnixClient(dlopen, process.platform) : null;
  }
  return bound;
}

const encoder = new TextEncoder();

/** sockaddr_un bytes for `path`, or null when it does not fit (or holds a NUL byte). */
export function encodeSockaddrUn(path: string): Uint8Array | null {
  if (path.includes("\0")) return null;
  const address = new Uint8Array(SOCKADDR_UN.size);
  new DataView(address.buffer).setUint16(SOCKADDR_UN.family, AF_UNIX, true);
  const { read, written } = encoder.encodeInto(
    path,
    address.subarray(SOCKADDR_UN.path, SOCKADDR_UN.path + SOCKADDR_UN.pathMax),
  );
  return read === path.length ? (written > 0 ? address : null) : null;
}

/** struct timeval bytes for a timeout in milliseconds. */
export function encodeTimeval(milliseconds: number): Uint8Array {
  const value = new Uint8Array(TIMEVAL.size);
  const view = new DataView(value.buffer);
  view.setBigInt64(TIMEVAL.seconds, BigInt(Math.floor(milliseconds / 1000)), true);
  view.setBigInt64(TIMEVAL.microseconds, BigInt((milliseconds % 1000) * 1000), true);
  return value;
}

/**
 * Connects to the Unix socket at `path`, writes `request`, and returns the bytes the peer sends up
 * to and including the first newline; null when FFI is unavailable, on any failed call, on EOF
 * before a newline, past `maxBytes`, or when a send or a read waits longer than `timeoutMs`.
 */
export function unixRequest(
  path: string,
  request: Uint8Array,
  timeoutMs: number,
  maxBytes = 1 << 20,
): Uint8Array | null {
  const libc = unixClientLibc();
  const address = encodeSockaddrUn(path);
  if (libc === null || address === null) return null;
  const fd = libc.socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return null;
  try {
    const timeout = encodeTimeval(timeoutMs);
    if (libc.setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, timeout, TIMEVAL.size) !== 0) return null;
    if (libc.setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, timeout, TIMEVAL.size) !== 0) return null;
    if (libc.connect(fd, address, SOCKADDR_UN.size) !== 0) return null;
    for (let sent = 0; sent < request.byteLength; ) {
      const written = libc.write(fd, request.subarray(sent), request.byteLength - sent);
      if (written <= 0) return null;
      sent += written;
    }
    let answer = new Uint8Array(4096);
    let length = 0;
    for (;;) {
      if (length === answer.byteLength) {
        if (length >= maxBytes) return null;
        const larger = new Uint8Array(Math.min(maxBytes, length * 2));
        larger.set(answer);
        answer = larger;
      }
      const received = libc.read(fd, answer.subarray(length), answer.byteLength - length);
      if (received <= 0) return null;
      const newline = answer.subarray(length, length + received).indexOf(NEWLINE);
      length += received;
      if (newline !== -1) return answer.subarray(0, length - received + newline + 1);
    }
  } finally {
    libc.close(fd);
  }
}
