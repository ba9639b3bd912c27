// The cheap way to tie a child's life to kpm's on Linux: util-linux's setpriv sets
// PR_SET_PDEATHSIG(SIGKILL) and execs the tool in place (same pid, the child's exact environment,
// argv[0] as typed). It costs about one small exec (~1–2 ms) where the kpm exec step costs one more
// Bun runtime (~20 ms); the step stays the fallback where setpriv is missing. setpriv is looked
// up in the system directories only, never through the child's PATH.

const SYSTEM_PATH = "/usr/bin:/bin";

/** Test-only: "1" hides setpriv, so the tests exercise the exec step that replaces it. */
export const NO_SETPRIV_VARIABLE = "KPM_TEST_NO_SETPRIV";

let found: string | null | undefined;

/** The absolute path of setpriv (util-linux ≥ 2.33 has --pdeathsig), or null (e.g. Alpine, macOS). */
export function setprivPath(env: Readonly<Record<string, string | undefined>>): string | null {
  if (env[NO_SETPRIV_VARIABLE] === "1") return null;
  found ??= process.platform === "linux" ? Bun.which("setpriv", { PATH: SYSTEM_PATH }) : null;
  return found;
}

/**
 * argv for Bun.spawn: setpriv runs `command` through execvp with the child's own PATH, the same
 * lookup kpm made, so the tool sees argv[0] exactly as typed.
 */
export function setprivArgv(setpriv: string, command: string, args: readonly string[]): string[] {
  return [setpriv, "--pdeathsig", "KILL", "--", command, ...args];
}
