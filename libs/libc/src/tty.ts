// isatty(3) through Bun's FFI, in a binding of its own (`@kpm/libc/tty`): every command that
// prints a value asks it once, and the warm-agent `kpm get` must not pay for the stat binding
// (index.ts) to ask it. A second dlopen in one process costs ~0.03 ms; the first ~0.6 ms.
import { type Dlopen, LIBRARY_NAMES, nativeDlopen, openFirst } from "./binding.ts";

interface TtyLibc {
  isatty(fd: number): number;
}

/** Binds isatty on a platform with a known libc name; null elsewhere or when none opens. */
export function bindIsatty(dlopen: Dlopen, platform: string): TtyLibc | null {
  const names = LIBRARY_NAMES[platform];
  return names ? openFirst<TtyLibc>(dlopen, names, { isatty: { args: ["i32"], returns: "i32" } }) : null;
}

let bound: TtyLibc | null | undefined;

/** isatty(3) through libc, or undefined where libc cannot be bound. */
export function isatty(fd: number): boolean | undefined {
  if (bound === undefined) {
    const dlopen = nativeDlopen();
    bound = dlopen ? bindIsatty(dlopen, process.platform) : null;
  }
  return bound ? bound.isatty(fd) === 1 : undefined;
}
