// Loading the template for `env` and `run`: profiles, includes, profile expansion (§5), with the
// CLI's error texts.
import { existsSync } from "node:fs";
import { loadTemplate, resolveTemplatePath, type TemplateEntry, TemplateError } from "@kpm/template/core";
import { CliError } from "./cli/errors.ts";
import type { KpmContext } from "./context.ts";
import { loadMergedProfile } from "./profile.ts";

export function templatePath(ctx: KpmContext, value: string): string {
  return resolveTemplatePath(value, {
    cwd: ctx.cwd,
    templatesDir: ctx.dirs.templatesDir,
    home: ctx.dirs.home,
  });
}

/** The default template's path when that file exists (§5.5, §8.2). */
export async function existingDefaultTemplate(ctx: KpmContext): Promise<{ path: string; exists: boolean }> {
  const config = await ctx.config();
  const path = templatePath(ctx, config.defaultTemplate);
  return { path, exists: existsSync(path) };
}

export async function loadEntries(ctx: KpmContext, path: string): Promise<TemplateEntry[]> {
  const profile = await loadMergedProfile(ctx);
  try {
    return loadTemplate(path, { cwd: ctx.cwd, templatesDir: ctx.dirs.templatesDir, profile });
  } catch (error) {
    if (error instanceof TemplateError) {
      throw new CliError(
        error.code === "profile" ? error.message : `error parsing template: ${error.message}`,
      );
    }
    throw error;
  }
}

export function isKmsEntry(entry: TemplateEntry): entry is Extract<TemplateEntry, { kind: "kms" }> {
  return entry.kind === "kms";
}
