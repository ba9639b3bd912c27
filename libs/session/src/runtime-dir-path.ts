// Where <RuntimeDir> is (spec §4.1): a pure function of the environment, apart from the checks in
// runtime-dir.ts, so the warm-agent `kpm get` can find the agent's socket without loading libc's
// lstat binding or node:path (`@kpm/session/runtime-dir-path`).
import { requireBuiltin } from "@kpm/deferred";
import { isAbsolute, join, resolve } from "@kpm/deferred/path";

export function resolveRuntimeDir(env: Record<string, string | undefined>, uid: number): string {
  const xdg = env.XDG_RUNTIME_DIR;
  if (xdg && isAbsolute(xdg)) return join(xdg, "kpm");
  // Absolute even for a relative TMPDIR: the listener runs with another working directory.
  // node:os only without TMPDIR: loading it costs ~0.4 ms of every `kpm run`.
  return resolve(env.TMPDIR || requireBuiltin("node:os").tmpdir(), `kpm-${uid}`);
}
