// Output primitives for the hot paths: Bun.write and fs.writeSync avoid the 8–10 ms cost of
// touching process.stdout/process.stderr (STYLE.md, "Bun facts"). console.error is not used:
// Bun colours it red on a terminal, which would alter our exact texts. node:fs (~1 ms to load)
// is required on the first line written, so a run that writes nothing never loads it.
import { isattyIfOpen, isatty as libcIsatty } from "@kpm/libc";

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

function nodeFs(): typeof import("node:fs") {
  return require("node:fs") as typeof import("node:fs");
}

function writeAllSync(fd: number, bytes: Uint8Array): void {
  const { writeSync } = nodeFs();
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

/**
 * isatty(3), from whichever of libc and node:fs this process has already loaded. libc answers
 * when it is open (env-scan `kpm run` opened it for the socket checks). Otherwise one fstat
 * answers pipes, files and a /dev/null stdin — what agents and CI give kpm — since only a
 * character device can be a terminal and on Linux none of the memory devices (major 1:
 * /dev/null, /dev/zero, …) is one. Anything else asks libc (~0.35 ms to open), with node:tty
 * (~3 ms) as the fallback where libc cannot be opened.
 */
export function isatty(fd: number): boolean {
  const answer = isattyIfOpen(fd);
  if (answer !== undefined) return answer;
  try {
    const stats = nodeFs().fstatSync(fd);
    if (!stats.isCharacterDevice()) return false;
    if (process.platform === "linux" && linuxMajor(stats.rdev) === 1) return false;
  } catch {
    return false;
  }
  return libcIsatty(fd) ?? (require("node:tty") as typeof import("node:tty")).isatty(fd);
}

/** The major number of a Linux device id (glibc's gnu_dev_major). */
function linuxMajor(rdev: number): number {
  return ((rdev >>> 8) & 0xfff) | (Math.floor(rdev / 2 ** 32) & ~0xfff);
}
