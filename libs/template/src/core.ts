// `@kpm/template/core`: the public surface except loadProfiles, whose YAML parser costs a few ms
// of startup; the CLI imports this so `kpm get` and `kpm run` never load it for a flat config.
export { discoverTemplate, discoveryDirectories } from "./discover.ts";
export { TemplateError, type TemplateErrorCode } from "./error.ts";
export { loadTemplate, type TemplateContext, type TemplateEntry, type TrustGate } from "./load.ts";
export { expandProfile, type ProfileValues } from "./profile-expand.ts";
export type { LoadedProfiles, LoadProfilesOptions } from "./profile-layers.ts";
export { loadProfilesAsync } from "./profiles-async.ts";
export { findProjectDir, projectTemplatesDir } from "./project-dir.ts";
export {
  formatReference,
  type KmsRef,
  parseReference,
  referenceText,
  validateReferencePath,
} from "./reference.ts";
export { expandHome, type ResolvePathContext, resolveTemplatePath } from "./resolve-path.ts";
export { summarizeTemplateDir, type TemplateDirSummary, type TemplateSummary } from "./summary.ts";
