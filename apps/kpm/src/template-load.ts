// Loading the template for `env` and `run`: which file (§5.5, with project trust), profiles,
// includes, profile expansion (§5), with the CLI's error texts.
import { isAbsolute, resolve } from "@kpm/deferred/path";
import { statIfPresent } from "@kpm/libc";
import {
  discoverTemplate,
  expandHome,
  loadTemplate,
  resolveTemplatePath,
  type TemplateEntry,
  type TrustGate,
} from "@kpm/template/core";
import { toCliError } from "./cli/lib-errors.ts";
import type { KpmContext } from "./context.ts";
import { loadMergedProfile } from "./profile.ts";
import { type OnUntrusted, projectTrust } from "./project-trust.ts";

/** The template to load, and the project directory that must have trusted it (null: none needed). */
export interface TemplateChoice {
  path: string;
  projectDir: string | null;
  /** It exists and trust did not refuse it. */
  usable: boolean;
}

/**
 * `--from` (named = true) or default_template, resolved as §5.5 says. A file kpm finds by itself
 * (the `.kpm/templates` fallback, or a relative default_template in the current directory) is a
 * project file; one it refuses counts as absent.
 */
export function chooseTemplate(
  ctx: KpmContext,
  value: string,
  named: boolean,
  onUntrusted: OnUntrusted,
): TemplateChoice {
  const trust = projectTrust(ctx);
  const expanded = expandHome(value, ctx.dirs.home);
  const direct = resolve(ctx.cwd, expanded);
  // `--from FILE`, or a default_template the user's own config spells as an absolute or ~ path.
  const userNamed = named || isAbsolute(expanded);
  const projectDirOf = (path: string): string | null => {
    if (path !== direct) return trust.projectDirOfTemplate(path);
    return userNamed || trust.isUserFile(path) ? null : resolve(ctx.cwd);
  };
  const refused = new Set<string>();
  const path = resolveTemplatePath(value, {
    cwd: ctx.cwd,
    templatesDir: ctx.dirs.templatesDir,
    home: ctx.dirs.home,
    accept: (candidate) => {
      const projectDir = projectDirOf(candidate);
      if (projectDir === null || trust.allowsPath(projectDir, candidate, onUntrusted)) return true;
      refused.add(candidate);
      return false;
    },
  });
  return { path, projectDir: projectDirOf(path), usable: !refused.has(path) && statIfPresent(path) !== null };
}

/** Auto-discovery (§5.5) where an untrusted project template counts as absent. */
export function discoverTrustedTemplate(
  ctx: KpmContext,
  tool: string,
  onUntrusted: OnUntrusted,
): TemplateChoice | null {
  const trust = projectTrust(ctx);
  const path = discoverTemplate(tool, { cwd: ctx.cwd, templatesDir: ctx.dirs.templatesDir }, (candidate) => {
    const projectDir = trust.projectDirOfTemplate(candidate);
    return projectDir === null || trust.allowsPath(projectDir, candidate, onUntrusted);
  });
  return path === null ? null : { path, projectDir: trust.projectDirOfTemplate(path), usable: true };
}

/** The default template (§5.5, §8.2); `usable` is false when it is missing or untrusted. */
export async function defaultTemplate(ctx: KpmContext, onUntrusted: OnUntrusted): Promise<TemplateChoice> {
  const config = await ctx.config();
  return chooseTemplate(ctx, config.defaultTemplate, false, onUntrusted);
}

export async function loadEntries(
  ctx: KpmContext,
  choice: TemplateChoice,
  onUntrusted: OnUntrusted,
): Promise<TemplateEntry[]> {
  const profile = await loadMergedProfile(ctx);
  const trust = projectTrust(ctx);
  // Asked about the top-level file and every include, with the bytes the loader is about to parse.
  const gate: TrustGate = (file, bytes) => {
    const projectDir = file === choice.path ? choice.projectDir : trust.projectDirOfTemplate(file);
    return projectDir === null || trust.allows(projectDir, file, bytes, onUntrusted);
  };
  try {
    return loadTemplate(choice.path, {
      cwd: ctx.cwd,
      templatesDir: ctx.dirs.templatesDir,
      profile,
      trust: gate,
    });
  } catch (error) {
    throw toCliError(error, "load_template");
  }
}

export function isKmsEntry(entry: TemplateEntry): entry is Extract<TemplateEntry, { kind: "kms" }> {
  return entry.kind === "kms";
}
