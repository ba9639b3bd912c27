// Where <RuntimeDir> is (spec §4.1): a pure function of the environment, apart from the checks in
// runtime-dir.ts, so the warm-agent `kpm get` can find the agent's socket without loading libc's
// lstat binding or node:path (`@kpm/session/runtime-dir-path`).
import { requireBuiltin } from "@kpm/deferred";

export function resolveRuntimeDir(env: Record<string, string | undefined>, uid: number): string {
  const xdg = env.XDG_RUNTIME_DIR;
  if (xdg && isCleanAbsolute(xdg)) return `${xdg}/kpm`;
  const temp = env.TMPDIR;
  if (!xdg?.startsWith("/") && temp && isCleanAbsolute(temp)) return `${temp}/kpm-${uid}`;
  // node:path only for a path it must normalise or resolve: loading it costs ~0.4 ms, a tenth of
  // the warm-agent `kpm get` after Bun's own start.
  const { isAbsolute, join, resolve } = requireBuiltin("node:path");
  if (xdg && isAbsolute(xdg)) return join(xdg, "kpm");
  // Absolute even for a relative TMPDIR: the listener runs with another working directory.
  // node:os only without TMPDIR: loading it costs ~0.4 ms of every `kpm run`.
  return resolve(temp || requireBuiltin("node:os").tmpdir(), `kpm-${uid}`);
}

/**
 * An absolute path that node:path's join and resolve would return unchanged: no empty, "." or ".."
 * segment and no trailing slash ("/" itself excepted: join("/", "kpm") is "/kpm", not "//kpm").
 */
export function isCleanAbsolute(path: string): boolean {
  if (path.length < 2 || path[0] !== "/" || path.endsWith("/")) return false;
  for (const segment of path.slice(1).split("/")) {
    if (segment === "" || segment === "." || segment === "..") return false;
  }
  return true;
}
