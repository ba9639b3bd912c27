// What every libc binding shares: which library names to open per platform, and the native
// dlopen under bun:ffi (called directly, it skips loading that module's JavaScript).

interface SymbolSpec {
  args: string[];
  returns: string;
}

/** A dlopen of bun:ffi's shape: symbols by name, types by name, typed arrays passed as pointers. */
export type Dlopen = (path: string, symbols: Record<string, SymbolSpec>) => unknown;

export const LIBRARY_NAMES: Readonly<Record<string, readonly string[]>> = {
  darwin: ["libc.dylib", "/usr/lib/libSystem.B.dylib"],
  // musl has no libc.so.6; its loader answers "libc.so" with itself.
  linux: ["libc.so.6", "libc.so"],
};

/**
 * Bun.FFI.dlopen: the native function under bun:ffi. Called directly it skips loading that
 * module's JavaScript (~0.4M instructions, ~0.2 ms), and it takes the same symbol specs. A test
 * pins that our Bun has it; without it, node:fs and node:tty answer.
 */
export function nativeDlopen(): Dlopen | undefined {
  const ffi = (Bun as unknown as { FFI?: { dlopen?: unknown } }).FFI;
  return typeof ffi?.dlopen === "function" ? (ffi.dlopen as Dlopen) : undefined;
}

/**
 * The symbols of the first library in `names` that opens with every one of `symbols`, or null.
 * A name that fails — the native dlopen returns the Error, bun:ffi's throws (a missing symbol,
 * an unknown name) — gives way to the next.
 */
export function openFirst<T>(
  dlopen: Dlopen,
  names: readonly string[],
  symbols: Record<string, SymbolSpec>,
): T | null {
  for (const name of names) {
    try {
      const library = dlopen(name, symbols);
      if (!(library instanceof Error)) return (library as { symbols: T }).symbols;
    } catch {
      // Not this name, or a symbol missing there: try the next one.
    }
  }
  return null;
}
