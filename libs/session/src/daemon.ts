// What kpm's detached helper processes (the session listeners here, the per-user agent in
// @kpm/agent) share: the few variables they inherit, and small process-side helpers. A light entry
// (`@kpm/session/daemon`) that loads node:fs only when a function needs it, so the
// CLI's agent fast path can import it.
import { requireBuiltin } from "@kpm/deferred";
import { resolve } from "@kpm/deferred/path";

/** Everything else (secrets, blobs, BUN_* settings, KPM_* switches) stays out of a detached helper. */
export const DAEMON_VARIABLES = [
  "HOME",
  "USER",
  "PATH",
  "TMPDIR",
  "XDG_RUNTIME_DIR",
  "LANG",
  "LC_ALL",
  "KPM_DEBUG",
] as const;

/** The environment a detached helper starts with: DAEMON_VARIABLES, TMPDIR made absolute (it runs in "/"). */
export function daemonEnvironment(env: Record<string, string | undefined>): Record<string, string> {
  const minimal: Record<string, string> = {};
  for (const name of DAEMON_VARIABLES) {
    const value = env[name];
    if (value === undefined) continue;
    minimal[name] = name === "TMPDIR" && value !== "" ? resolve(value) : value;
  }
  return minimal;
}

/** A time as RFC 3339 in UTC, whole seconds (as Go's time.RFC3339 prints it). */
export function rfc3339(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, "Z");
}

/** Removes a file that may already be gone (another process cleaned it): that is the goal too. */
export function removeQuietly(path: string): void {
  try {
    requireBuiltin("node:fs").unlinkSync(path);
  } catch {
    // Already gone.
  }
}

/** An error's message, or the thrown value as text. */
export function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
