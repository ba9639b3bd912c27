// One request and its one-line answer over a Unix stream socket, with blocking calls through
// Bun's FFI: the warm-agent path of `kpm get` (docs/agent.md). Measured in a compiled binary, this
// costs ~1.2 ms less than `Bun.connect` (no event loop, no socket context to create) — a sixth of
// what that path adds to Bun's own start. Linux only (x64 and arm64 share every constant and
// struct used here); elsewhere, and on any failure, the answer is null and the caller takes its
// usual path.
import { type Dlopen, LIBRARY_NAMES, nativeDlopen, openFirst } from "./binding.ts";
import { decodeUcred, SO_PEERCRED, SOL_SOCKET, UCRED_LAYOUT } from "./ucred.ts";

const AF_UNIX = 1;
const SOCK_STREAM = 1;
const SOCK_CLOEXEC = 0o2000000;
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
  getsockopt(fd: number, level: number, name: number, value: Uint8Array, length: Uint32Array): number;
  write(fd: number, buffer: Uint8Array, count: number): number;
  read(fd: number, buffer: Uint8Array, count: number): number;
  close(fd: number): number;
}

const SYMBOLS = {
  socket: { args: ["i32", "i32", "i32"], returns: "i32" },
  connect: { args: ["i32", "ptr", "u32"], returns: "i32" },
  setsockopt: { args: ["i32", "i32", "i32", "ptr", "u32"], returns: "i32" },
  getsockopt: { args: ["i32", "i32", "i32", "ptr", "ptr"], returns: "i32" },
  write: { args: ["i32", "ptr", "u64"], returns: "i64_fast" },
  read: { args: ["i32", "ptr", "u64"], returns: "i64_fast" },
  close: { args: ["i32"], returns: "i32" },
};

/** Binds the socket calls on Linux; null elsewhere or when no libc name opens. */
export function bindUnixClient(dlopen: Dlopen, platform: string): UnixClientLibc | null {
  return platform === "linux" ? openFirst<UnixClientLibc>(dlopen, LIBRARY_NAMES.linux ?? [], SYMBOLS) : null;
}

let bound: UnixClientLibc | null | undefined;

function unixClientLibc(): UnixClientLibc | null {
  if (bound === undefined) {
    const dlopen = nativeDlopen();
    bound = dlopen ? bindUnixClient(dlopen, process.platform) : null;
  }
  return bound;
}

/** Whether this process can use UnixStream at all (Linux, with Bun's FFI and a libc that opens). */
export function unixClientAvailable(): boolean {
  return unixClientLibc() !== null;
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

/**
 * struct timeval bytes for a timeout in milliseconds (little-endian; both fields fit 32 bits for
 * any timeout under 136 years, so no BigInt: its first use costs ~0.2 ms of a warm `kpm get`).
 */
export function encodeTimeval(milliseconds: number): Uint8Array {
  const value = new Uint8Array(TIMEVAL.size);
  const words = new Uint32Array(value.buffer);
  words[TIMEVAL.seconds / 4] = Math.floor(milliseconds / 1000);
  words[TIMEVAL.microseconds / 4] = (milliseconds % 1000) * 1000;
  return value;
}

/** Whose process is on the other end of the connected socket `fd`: its uid, or null when not readable. */
function peerUid(libc: UnixClientLibc, fd: number): number | null {
  const value = new Uint8Array(UCRED_LAYOUT.size);
  const length = new Uint32Array([UCRED_LAYOUT.size]);
  return libc.getsockopt(fd, SOL_SOCKET, SO_PEERCRED, value, length) === 0 ? decodeUcred(value).uid : null;
}

/**
 * A connected Unix stream socket used with blocking calls: send whole buffers, then read up to a
 * number of newlines. Every failure (a failed call, EOF, the timeout, `maxBytes`) answers null or
 * false; the caller then closes it.
 */
export class UnixStream {
  readonly #libc: UnixClientLibc;
  readonly #fd: number;
  /** Bytes read past the last line handed out (a peer may answer ahead). */
  #pending = new Uint8Array(0);
  #closed = false;

  private constructor(libc: UnixClientLibc, fd: number) {
    this.#libc = libc;
    this.#fd = fd;
  }

  /**
   * Connects, with `timeoutMs` for every later send and read; null when it cannot. With
   * `expectedUid`, also null unless the process listening runs as that uid (SO_PEERCRED, read on
   * the connected socket before anything is sent): another user's socket at the path, or a link
   * to one, is never written to.
   */
  static open(path: string, timeoutMs: number, expectedUid?: number): UnixStream | null {
    const libc = unixClientLibc();
    const address = encodeSockaddrUn(path);
    if (libc === null || address === null) return null;
    const fd = libc.socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) return null;
    const timeout = encodeTimeval(timeoutMs);
    if (
      libc.setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, timeout, TIMEVAL.size) !== 0 ||
      libc.setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, timeout, TIMEVAL.size) !== 0 ||
      libc.connect(fd, address, SOCKADDR_UN.size) !== 0 ||
      (expectedUid !== undefined && peerUid(libc, fd) !== expectedUid)
    ) {
      libc.close(fd);
      return null;
    }
    return new UnixStream(libc, fd);
  }

  send(bytes: Uint8Array): boolean {
    for (let sent = 0; sent < bytes.byteLength; ) {
      const written = this.#closed
        ? -1
        : this.#libc.write(this.#fd, bytes.subarray(sent), bytes.byteLength - sent);
      if (written <= 0) return false;
      sent += written;
    }
    return true;
  }

  /** The next `count` lines, each with its newline, in one buffer; null on failure. */
  receiveLines(count: number, maxBytes = 1 << 20): Uint8Array | null {
    let buffer = new Uint8Array(Math.max(4096, this.#pending.byteLength * 2));
    buffer.set(this.#pending);
    let length = this.#pending.byteLength;
    let seen = 0;
    let scanned = 0;
    for (;;) {
      for (let index = buffer.subarray(scanned, length).indexOf(NEWLINE); index !== -1; ) {
        seen++;
        const end = scanned + index + 1;
        if (seen === count) {
          this.#pending = buffer.slice(end, length);
          return buffer.subarray(0, end);
        }
        scanned = end;
        index = buffer.subarray(scanned, length).indexOf(NEWLINE);
      }
      scanned = length;
      if (length === buffer.byteLength) {
        if (length >= maxBytes) return null;
        const larger = new Uint8Array(Math.min(maxBytes, length * 2));
        larger.set(buffer);
        buffer = larger;
      }
      const received = this.#closed
        ? -1
        : this.#libc.read(this.#fd, buffer.subarray(length), buffer.byteLength - length);
      if (received <= 0) return null;
      length += received;
    }
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#libc.close(this.#fd);
  }
}

export interface UnixRequestOptions {
  timeoutMs: number;
  /** Only a peer running as this uid is sent the request (UnixStream.open). */
  expectedUid?: number;
  maxBytes?: number;
}

/**
 * Connects to the Unix socket at `path`, writes `request`, and returns the bytes the peer sends up
 * to and including the first newline; null when FFI is unavailable, on any failed call, when the
 * peer is not `expectedUid`, on EOF before a newline, past `maxBytes`, or when a send or a read
 * waits longer than `timeoutMs`.
 */
export function unixRequest(
  path: string,
  request: Uint8Array,
  options: UnixRequestOptions,
): Uint8Array | null {
  const { timeoutMs, expectedUid, maxBytes = 1 << 20 } = options;
  const stream = UnixStream.open(path, timeoutMs, expectedUid);
  if (stream === null) return null;
  try {
    return stream.send(request) ? stream.receiveLines(1, maxBytes) : null;
  } finally {
    stream.close();
  }
}
