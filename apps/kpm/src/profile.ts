// Profile loading shared by `profile`, `show --profile`, `env`, `run` and `get` (§5.6).
import { loadProfilesAsync, type ProfileValues } from "@kpm/template/core";
import { CliError } from "./cli/errors.ts";
import { failureLine, toCliError } from "./cli/lib-errors.ts";
import { byCodePoint } from "./cli/text.ts";
import type { KpmContext } from "./context.ts";

/** Loads the config (a broken global config is fatal, §5.6), then the walk-up profiles; warns on skipped files. */
export async function loadMergedProfile(ctx: KpmContext): Promise<ProfileValues> {
  const config = await ctx.config();
  const { profileGate } = await import("./project-trust.ts");
  try {
    const { values, warnings } = await loadProfilesAsync({
      cwd: ctx.cwd,
      globalConfigPath: config.path,
      trust: profileGate(ctx, config.path),
    });
    for (const warning of warnings) ctx.log.warn(warning);
    return values;
  } catch (error) {
    throw toCliError(error);
  }
}

export function renderProfileLines(values: ProfileValues): string[] {
  const keys = [...values.keys()].sort(byCodePoint);
  const width = Math.max(...keys.map((key) => key.length));
  return keys.map((key) => {
    const entry = values.get(key);
    return `${key.padEnd(width)}: ${entry?.value ?? ""}\t← ${entry?.source ?? ""}`;
  });
}

/** `{{profile:…}}` expansion of one text (used by `get`); errors become one `error:` line. */
export async function expandProfileText(ctx: KpmContext, text: string): Promise<string> {
  if (!text.includes("{{profile:")) return text;
  const { expandProfile } = await import("@kpm/template/core");
  const profile = await loadMergedProfile(ctx);
  try {
    return expandProfile(text, profile);
  } catch (error) {
    throw new CliError(failureLine(error));
  }
}
