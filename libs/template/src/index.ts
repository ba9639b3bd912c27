// Public surface of @kpm/template.
export { discoverTemplate, discoveryDirectories } from "./discover.ts";
export { TemplateError, type TemplateErrorCode } from "./error.ts";
export { loadTemplate, type TemplateContext, type TemplateEntry } from "./load.ts";
export { expandProfile, type ProfileValues } from "./profile-expand.ts";
export { type LoadedProfiles, type LoadProfilesOptions, loadProfiles } from "./profiles.ts";
export {
  formatReference,
  type KmsRef,
  parseReference,
  referenceText,
  validateReferencePath,
} from "./reference.ts";
export { expandHome, type ResolvePathContext, resolveTemplatePath } from "./resolve-path.ts";
export { summarizeTemplateDir, type TemplateDirSummary, type TemplateSummary } from "./summary.ts";
