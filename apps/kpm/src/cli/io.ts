// Output primitives for the hot paths: Bun.write and console.error avoid the 8–10 ms cost of
// touching process.stdout/process.stderr (STYLE.md, "Bun facts").

/** Writes data (env lines, tables, JSON, secret values) to stdout, exactly as given. */
export async function writeStdout(data: string | Uint8Array): Promise<void> {
  await Bun.write(Bun.stdout, data);
}

/** Writes text to stderr exactly as given (no newline added). */
export async function writeStderr(data: string | Uint8Array): Promise<void> {
  await Bun.write(Bun.stderr, data);
}

let isattyImpl: ((fd: number) => boolean) | undefined;

/** isatty(3) through bun:ffi; node:tty is the fallback where libc cannot be opened. */
export function isatty(fd: number): boolean {
  if (!isattyImpl) isattyImpl = loadIsatty();
  return isattyImpl(fd);
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
