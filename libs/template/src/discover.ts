// Auto-discovery of `<tool>.template` for `kpm run` (spec §5.5).

import { basename, join, resolve } from "@kpm/deferred/path";
import { isRegularFile } from "./include.ts";
import { projectTemplatesDir } from "./project-dir.ts";

/** Sub-folders of `<TemplatesDir>` searched after the folder itself, in this order. */
const userSubdirectories = ["", "ai", "infra", "db", "customers"];

/** The project's templates (found by walking up from cwd, project-dir.ts), then the user's folders. */
export function discoveryDirectories(ctx: { cwd: string; templatesDir: string }): string[] {
  const user = resolve(ctx.cwd, ctx.templatesDir);
  return [projectTemplatesDir(resolve(ctx.cwd)), ...userSubdirectories.map((sub) => join(user, sub))];
}

/**
 * The first regular file `<tool>.template` in discovery order that `accept` takes (project trust:
 * a refused file counts as absent), or null. `tool` is argv[0] as typed.
 */
export function discoverTemplate(
  tool: string,
  ctx: { cwd: string; templatesDir: string },
  accept: (path: string) => boolean = () => true,
): string | null {
  const name = basename(tool);
  if (name === "" || name === "." || name === "..") return null;
  for (const dir of discoveryDirectories(ctx)) {
    const candidate = join(dir, `${name}.template`);
    if (isRegularFile(candidate) && accept(candidate)) return candidate;
  }
  return null;
}
