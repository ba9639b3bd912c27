// Build-time identity. `bun run build` defines KPM_VERSION, KPM_COMMIT and KPM_BUILD_DATE; from
// source the version is the package's own and the commit is asked of git, so `bun run kpm --version`
// and `dist/kpm --version` print the same version.
import manifest from "../package.json" with { type: "json" };

declare const KPM_VERSION: string | undefined;
declare const KPM_COMMIT: string | undefined;
declare const KPM_BUILD_DATE: string | undefined;

export const version: string = typeof KPM_VERSION === "string" ? KPM_VERSION : manifest.version;

/** `kpm 0.3.0 (commit 1a2b3c4d5e6f, built 2026-12-04)`; from source `(commit …, from source)`. */
export function versionLine(): string {
  if (typeof KPM_COMMIT === "string") {
    const built = typeof KPM_BUILD_DATE === "string" ? KPM_BUILD_DATE : "unknown";
    return `kpm ${version} (commit ${KPM_COMMIT}, built ${built})`;
  }
  return `kpm ${version} (commit ${sourceCommit()}, from source)`;
}

/** git's HEAD for a source run; "unknown" where there is no git or no checkout (a build without defines). */
function sourceCommit(): string {
  try {
    const git = Bun.spawnSync(["git", "rev-parse", "--short=12", "HEAD"], {
      cwd: import.meta.dir,
      stdout: "pipe",
      stderr: "ignore",
    });
    return git.exitCode === 0 ? git.stdout.toString().trim() : "unknown";
  } catch {
    // A compiled binary built without KPM_COMMIT: its import.meta.dir is inside the binary.
    return "unknown";
  }
}
