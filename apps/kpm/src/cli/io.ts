// Output primitives for the hot paths: Bun.write and fs.writeSync avoid the 8–10 ms cost of
// touching process.stdout/process.stderr (STYLE.md, "Bun facts"). console.error is not used:
// Bun colours it red on a terminal, which would alter our exact texts.
import { fstatSync, writeSync } from "node:fs";

/** Writes data (env lines, tables, JSON, secret values) to stdout, exactly as given. */
export async function writeStdout(data: string | Uint8Array): Promise<void> {
  await Bun.write(Bun.stdout, data);
}

/** Where stderr lines go: fd 2. In-process tests swap `writeLine` to observe them. */
export const stderrSink = {
  writeLine(text: string): void {
    writeAllSync(2, Buffer.from(`${text}\n`));
  },
};

/** Writes one line to stderr, synchronously and byte-exact (a newline is appended). */
export function stderrLine(text: string): void {
  stderrSink.writeLine(text);
}

/** Writes one line to stdout, synchronously (foreground server logs). */
export function stdoutLine(text: string): void {
  writeAllSync(1, Buffer.from(`${text}\n`));
}

function writeAllSync(fd: number, bytes: Uint8Array): void {
  let offset = 0;
  while (offset < bytes.length) {
    try {
      offset += writeSync(fd, bytes, offset);
    } catch (error) {
      // A non-blocking pipe that is full: wait for the reader (rare, and only for huge output).
      if ((error as NodeJS.ErrnoException).code !== "EAGAIN") return;
      Bun.sleepSync(1);
    }
  }
}

/** Writes text to stderr exactly as given (no newline added). */
export async function writeStderr(data: string | Uint8Array): Promise<void> {
  await Bun.write(Bun.stderr, data);
}

let isattyImpl: ((fd: number) => boolean) | undefined;

/**
 * isatty(3). Only a character device can be a terminal, and on Linux none of the memory devices
 * (major 1: /dev/null, /dev/zero, …) is one, so pipes, files and a /dev/null stdin — what agents
 * and CI give kpm — are answered by one fstat. Anything else asks libc through bun:ffi (~0.6 ms
 * to load), with node:tty (~3 ms) as the fallback where libc cannot be opened.
 */
export function isatty(fd: number): boolean {
  try {
    const stats = fstatSync(fd);
    if (!stats.isCharacterDevice()) return false;
    if (process.platform === "linux" && linuxMajor(stats.rdev) === 1) return false;
  } catch {
    return false;
  }
  if (!isattyImpl) isattyImpl = loadIsatty();
  return isattyImpl(fd);
}

/** The major number of a Linux device id (glibc's gnu_dev_major). */
function linuxMajor(rdev: number): number {
  return ((rdev >>> 8) & 0xfff) | (Math.floor(rdev / 2 ** 32) & ~0xfff);
}

function loadIsatty(): (fd: number) => boolean {
  try {
    const { dlopen, FFIType } = require("bun:ffi") as typeof import("bun:ffi");
    const candidates =
      process.platform === "darwin" ? ["libc.dylib", "/usr/lib/libSystem.B.dylib"] : ["libc.so.6", "libc.so"];
    for (const name of candidates) {
      try {
        const lib = dlopen(name, { isatty: { args: [FFIType.i32], returns: FFIType.i32 } });
        return (fd) => lib.symbols.isatty(fd) === 1;
      } catch {
        // try the next name (musl has no libc.so.6)
      }
    }
  } catch {
    // bun:ffi unavailable
  }
  const tty = require("node:tty") as typeof import("node:tty");
  return (fd) => tty.isatty(fd);
}
