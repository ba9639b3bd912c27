// Public surface of @kpm/template: everything in core.ts, plus loadProfiles (which reads YAML).
export * from "./core.ts";
export { loadProfiles } from "./profiles.ts";
