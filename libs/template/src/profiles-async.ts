// Profile discovery (spec §5.6) for startup-sensitive callers: files that certainly hold no profile
// are skipped without the YAML parser (a few ms of `kpm get`/`kpm run`); if any file needs it, the
// whole walk is redone by loadProfiles, so results, warnings and errors are the same.

import { readFlatYaml } from "./flat-yaml.ts";
import { type LoadedProfiles, type LoadProfilesOptions, mergeProfiles } from "./profile-layers.ts";

export async function loadProfilesAsync(opts: LoadProfilesOptions): Promise<LoadedProfiles> {
  let needsYaml = false;
  const quick = mergeProfiles(opts, (text) => {
    // A flat file without a `profile` key certainly holds no profile.
    const flat = readFlatYaml(text);
    if (flat === undefined || Object.hasOwn(flat, "profile")) needsYaml = true;
    return null;
  });
  if (!needsYaml) return quick;
  const { loadProfiles } = await import("./profiles.ts");
  return loadProfiles(opts);
}
