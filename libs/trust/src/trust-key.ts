// How a project file is named in the trust store: the real path of the project directory (so
// `/p`, `/p/.` and a symlinked checkout agree) joined with the file's path inside it as written.
// Links inside the project are NOT resolved: a cloned repo whose `.kpm/templates/claude.template`
// (or whose `.kpm`) is a symlink to a file the user trusted for another project must not inherit
// that trust, or the repo could pick which trusted template an agent gets.

import { requireBuiltin } from "@kpm/deferred";
import { join, relative, resolve } from "@kpm/deferred/path";

/** The real path of a project directory; the resolved path when it does not exist (a deleted checkout). */
export function realProjectDir(dir: string): string {
  const lexical = resolve(dir);
  try {
    return requireBuiltin("node:fs").realpathSync(lexical);
  } catch {
    return lexical;
  }
}

export function trustKey(projectDir: string, file: string): string {
  const lexical = resolve(projectDir);
  return join(realProjectDir(lexical), relative(lexical, resolve(lexical, file)));
}
