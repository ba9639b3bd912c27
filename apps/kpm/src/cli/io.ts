// Output primitives for the hot paths: Bun.write and fs.writeSync avoid the 8–10 ms cost of
// touching process.stdout/process.stderr (STYLE.md, "Bun facts"). console.error is not used:
// Bun colours it red on a terminal, which would alter our exact texts. node:fs (~1.5 ms to load)
// is loaded on the first line written (requireBuiltin), so a run that writes nothing never loads it.
import { requireBuiltin } from "@kpm/deferred";
import { isatty as libcIsatty } from "@kpm/libc/tty";

/**
 * Writes data (env lines, tables, JSON, secret values) to stdout, exactly as given. Nothing is
 * written for empty data: `Bun.write(Bun.stdout, "")` truncates a file that stdout appends to
 * (`kpm get 'x#y:-' >> file`) or fills it with NULs.
 */
export async function writeStdout(data: string | Uint8Array): Promise<void> {
  if (data.length === 0) return;
  await stdoutSink.write(data);
}

/** Where stdout data goes: fd 1. In-process tests swap `write` to observe it (help, tables). */
export const stdoutSink = {
  write(data: string | Uint8Array): Promise<unknown> {
    return Bun.write(Bun.stdout, data);
  },
};

/**
 * Writes a raw value (`get`, `decrypt`): its exact bytes when stdout is a pipe or a file, which
 * scripts depend on; on a terminal a final newline, so the shell prompt does not end up glued
 * to the value. isatty is asked only here, once, after the value exists.
 */
export async function writeValue(value: string): Promise<void> {
  await writeStdout(!value.endsWith("\n") && isatty(1) ? `${value}\n` : value);
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
  const { writeSync } = requireBuiltin("node:fs");
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

/** Writes text to stderr exactly as given (no newline added); empty data writes nothing. */
export async function writeStderr(data: string | Uint8Array): Promise<void> {
  if (data.length === 0) return;
  await Bun.write(Bun.stderr, data);
}

/**
 * isatty(3) from libc, bound through Bun's FFI (~0.15 ms; env-scan `kpm run` has bound it already
 * for its socket checks), with node:tty (~3 ms) as the fallback where libc cannot be bound.
 */
export function isatty(fd: number): boolean {
  return libcIsatty(fd) ?? requireBuiltin("node:tty").isatty(fd);
}
