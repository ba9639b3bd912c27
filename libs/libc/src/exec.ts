// The steps of an exec shim (a process that prepares itself, then becomes the program through
// execve(2)) and the parent's half: the environment travels over a pipe as one execve-shaped
// block ("NAME=value\0…"), so it is neither in the shim's argv nor in its own environment.
import {
  failed,
  getResourceLimit,
  type LibcResult,
  PR_GET_PDEATHSIG,
  PR_SET_PDEATHSIG,
  RLIMIT_NOFILE,
  withLibc,
} from "./hardening.ts";
import { type ProcessLibc, processLibc, unsupportedReason } from "./process-binding.ts";

const O_CLOEXEC = 0o2000000;
const O_RDONLY = 0;
const EINTR = 4;
const EINVAL = 22;
const SYS_CLOSE_RANGE = 436; // the same number on x86_64 and arm64 (post-4.20 syscalls are unified)
const CLOSE_RANGE_CLOEXEC = 4;
const F_SETFD = 2;
const FD_CLOEXEC = 1;
const SIG_SETMASK = 2;
/** glibc and musl both reserve 128 bytes for sigset_t; all zeros is the empty set in either. */
const SIGSET_BYTES = 128;

const encoder = new TextEncoder();

/** The environment as execve wants it, or the first variable C cannot spell (a NUL byte). */
export function encodeEnvironment(
  env: Record<string, string | undefined>,
): { ok: true; block: Uint8Array } | { ok: false; variable: string } {
  let text = "";
  for (const [name, value] of Object.entries(env)) {
    if (value === undefined) continue;
    if (name.includes("\0") || value.includes("\0"))
      return { ok: false, variable: name.replaceAll("\0", "") };
    text += `${name}=${value}\0`;
  }
  return { ok: true, block: encoder.encode(text) };
}

/**
 * A pipe whose read end (close-on-exec, to be given to the child as an extra stdio fd) will
 * deliver `block`; write it with sendBlock once the child exists.
 */
export function openPipe(): LibcResult<{ read: number; write: number }> {
  return withLibc((libc) => {
    const fds = new Int32Array(2);
    if (libc.pipe2(fds, O_CLOEXEC) !== 0) return failed(libc, "pipe2");
    return { ok: true, value: { read: fds[0] as number, write: fds[1] as number } };
  });
}

/** Writes all of `block` (blocking: the reader drains the pipe) and closes `fd`. */
export function sendBlock(fd: number, block: Uint8Array): LibcResult {
  return withLibc((libc) => {
    let offset = 0;
    let result: LibcResult = { ok: true, value: true };
    while (offset < block.length) {
      const written = libc.write(fd, block.subarray(offset), block.length - offset);
      if (written > 0) offset += written;
      else if (written < 0 && libc.errno() === EINTR) continue;
      else {
        result = failed(libc, "write");
        break;
      }
    }
    libc.close(fd);
    return result;
  });
}

export function closeDescriptor(fd: number): void {
  withLibc((libc) => (libc.close(fd) === 0 ? { ok: true, value: true } : failed(libc, "close")));
}

/** Reads `fd` to its end (EOF) and closes it. */
export function receiveBlock(fd: number): LibcResult<Uint8Array> {
  return withLibc((libc) => {
    let buffer = new Uint8Array(16 * 1024);
    let length = 0;
    for (;;) {
      if (length === buffer.length) {
        const grown = new Uint8Array(buffer.length * 2);
        grown.set(buffer);
        buffer.fill(0);
        buffer = grown;
      }
      const count = libc.read(fd, buffer.subarray(length), buffer.length - length);
      if (count > 0) length += count;
      else if (count === 0) break;
      else if (libc.errno() !== EINTR) {
        libc.close(fd);
        return failed(libc, "read");
      }
    }
    libc.close(fd);
    return { ok: true, value: buffer.subarray(0, length) };
  });
}

/**
 * PR_SET_PDEATHSIG: `signal` arrives when the thread that created this process exits. If the
 * parent is already gone (getppid() differs from `expectedParent`, the fork-to-prctl race), the
 * signal is raised now, as the kernel would have sent it.
 */
export function setParentDeathSignal(signal: number, expectedParent: number): LibcResult {
  return withLibc((libc) => {
    if (libc.prctl(PR_SET_PDEATHSIG, signal, 0, 0, 0) !== 0) return failed(libc, "prctl(PR_SET_PDEATHSIG)");
    if (libc.getppid() !== expectedParent) {
      libc.kill(libc.getpid(), signal);
      return { ok: false, reason: "the parent process has already exited" };
    }
    return { ok: true, value: true };
  });
}

export function getParentDeathSignal(): LibcResult<number> {
  return withLibc((libc) => {
    const signal = new Int32Array(1);
    if (libc.prctl(PR_GET_PDEATHSIG, BigInt(libc.addressOf(signal)), 0, 0, 0) !== 0)
      return failed(libc, "prctl(PR_GET_PDEATHSIG)");
    return { ok: true, value: signal[0] as number };
  });
}

/**
 * What execve keeps but a fresh spawn would not: ignored signals (SIG_IGN survives exec; Bun
 * ignores SIGPIPE and SIGXFSZ), the signal mask, and descriptors without close-on-exec. Bun.spawn
 * starts children with default dispositions, an empty mask and stdio only; so does this.
 */
export function prepareForExec(ignoredSignals: number[], firstInheritedFd = 3): LibcResult {
  return withLibc((libc) => {
    for (const signal of ignoredSignals) libc.signal(signal, 0);
    if (libc.sigprocmask(SIG_SETMASK, new Uint8Array(SIGSET_BYTES), null) !== 0)
      return failed(libc, "sigprocmask");
    return closeOnExecFrom(libc, firstInheritedFd);
  });
}

function closeOnExecFrom(libc: ProcessLibc, first: number): LibcResult {
  if (libc.syscall(SYS_CLOSE_RANGE, first, 0xffffffff, CLOSE_RANGE_CLOEXEC, 0) === 0)
    return { ok: true, value: true };
  // Before Linux 5.11: mark each descriptor below the open-file limit (at most 65,536 calls).
  const limit = getResourceLimit(RLIMIT_NOFILE);
  const end = limit.ok && limit.value.soft < 65_536n ? Number(limit.value.soft) : 65_536;
  for (let fd = first; fd < end; fd++) libc.fcntl(fd, F_SETFD, FD_CLOEXEC);
  return { ok: true, value: true };
}

/** The signal numbers whose disposition is SIG_IGN, from the SigIgn mask of /proc/self/status. */
export function ignoredSignals(): LibcResult<number[]> {
  return withLibc((libc) => {
    const fd = libc.open(encoder.encode("/proc/self/status\0"), O_RDONLY | O_CLOEXEC);
    if (fd < 0) return failed(libc, "open /proc/self/status");
    const status = receiveBlock(fd);
    if (!status.ok) return status;
    const match = /^SigIgn:\s*([0-9a-f]+)$/m.exec(new TextDecoder().decode(status.value));
    if (!match?.[1]) return { ok: false, reason: "no SigIgn line in /proc/self/status" };
    const mask = BigInt(`0x${match[1]}`);
    const signals: number[] = [];
    for (let signal = 1; signal <= 64; signal++) if ((mask >> BigInt(signal - 1)) & 1n) signals.push(signal);
    return { ok: true, value: signals };
  });
}

/**
 * execve(2): `path` with `argv` and the environment `block` (encodeEnvironment's shape). Returns
 * only on failure, with the errno (ENOENT 2, EACCES 13, ENOEXEC 8, …; 0 where unsupported).
 */
export function execute(path: string, argv: string[], block: Uint8Array): { errno: number; reason: string } {
  const libc = processLibc();
  if (!libc) return { errno: 0, reason: `unsupported: ${unsupportedReason()}` };
  if (path.includes("\0") || argv.some((arg) => arg.includes("\0")))
    return { errno: EINVAL, reason: "an argument contains a NUL byte" };
  const pathBytes = encoder.encode(`${path}\0`);
  const argvBytes = encoder.encode(argv.map((arg) => `${arg}\0`).join(""));
  const argvPointers = pointerArray(libc, argvBytes);
  const envPointers = pointerArray(libc, block);
  libc.execve(pathBytes, argvPointers, envPointers);
  const errno = libc.errno();
  return { errno, reason: `execve failed (errno ${errno})` };
}

/** A NULL-terminated char* array pointing at each NUL-terminated string in `bytes`. */
function pointerArray(libc: ProcessLibc, bytes: Uint8Array): BigUint64Array {
  const starts: number[] = [];
  let start = 0;
  for (let index = 0; index < bytes.length; index++) {
    if (bytes[index] === 0) {
      starts.push(start);
      start = index + 1;
    }
  }
  const pointers = new BigUint64Array(starts.length + 1);
  if (starts.length === 0) return pointers;
  const base = libc.addressOf(bytes);
  starts.forEach((offset, index) => {
    pointers[index] = BigInt(base + offset);
  });
  return pointers;
}
