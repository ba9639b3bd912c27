// Template path resolution for `--from` and `default_template` (spec §5.5).

import { join, resolve } from "@kpm/deferred/path";
import { statIfPresent } from "@kpm/libc";
import { projectTemplatesDir } from "./project-dir.ts";

export interface ResolvePathContext {
  cwd: string;
  templatesDir: string;
  home: string;
  /** Project trust: a candidate this refuses counts as absent. */
  accept?: (path: string) => boolean;
}

/**
 * `~`/`~/` expanded, then relative to the current directory. A bare name that is not
 * there is also looked for in the project's `.kpm/templates` (project-dir.ts) and `<TemplatesDir>`, so the default
 * `.env.template` finds the file quickstart writes. Returns the first candidate that
 * exists (and that `accept` takes), else the cwd-relative path (whose open error then names
 * what was asked for).
 */
export function resolveTemplatePath(value: string, ctx: ResolvePathContext): string {
  const usable = (path: string) => statIfPresent(path) !== null && (ctx.accept?.(path) ?? true);
  const direct = resolve(ctx.cwd, expandHome(value, ctx.home));
  if (usable(direct) || value.includes("/")) return direct;
  for (const dir of [projectTemplatesDir(resolve(ctx.cwd)), resolve(ctx.cwd, ctx.templatesDir)]) {
    const candidate = join(dir, value);
    if (usable(candidate)) return candidate;
  }
  return direct;
}

/** Expands a leading `~` or `~/` (never `~user`). */
export function expandHome(value: string, home: string): string {
  if (value === "~") return home;
  if (value.startsWith("~/")) return join(home, value.slice(2));
  return value;
}
