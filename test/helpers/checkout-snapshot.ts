// A committed snapshot of this repository (`git archive HEAD`) for tests that build kpm the way a
// user does (`bun run setup`, `install.sh --source-only`): a build there neither races other tests
// on dist/kpm nor sees anyone's uncommitted work in progress.
import { mkdirSync } from "node:fs";
import { REPO_ROOT } from "./run-kpm.ts";

/** Creates `dir` (its parent must exist) holding the files of HEAD. */
export function snapshotCheckout(dir: string): void {
  mkdirSync(dir);
  const archive = Bun.spawnSync(["sh", "-c", `git archive HEAD | tar -x -C '${dir}'`], {
    cwd: REPO_ROOT,
    stderr: "pipe",
  });
  const stderr = archive.stderr.toString();
  if (archive.exitCode !== 0 || stderr !== "") {
    throw new Error(`git archive HEAD into ${dir} failed (exit ${archive.exitCode}): ${stderr}`);
  }
}
