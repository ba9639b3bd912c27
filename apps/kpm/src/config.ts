// config.yaml (spec §4.3): zod-validated, defaults applied with or without a file, paths
// expanded relative to the file's directory. Flat files take config-flat.ts's reader; anything
// else goes through the YAML parser and the schema, which is why the CLI loads this module only
// when that reader declines (KpmContext.config).
import { parse as parseYaml } from "yaml";
import * as z from "zod/mini";
import {
  type ConfigData,
  DEFAULT_AGENT_CACHE_TTL,
  DEFAULT_AGENT_IDLE_TIMEOUT,
  DEFAULT_TTL,
  flatConfig,
  type KpmConfig,
  parseError,
  readConfigFile,
  toConfig,
} from "./config-flat.ts";

export { type KpmConfig, loadFlatConfig, parseFlatConfig } from "./config-flat.ts";

/**
 * Built on first use only: constructing zod schemas is a measurable part of startup. zod/mini like
 * every schema in kpm: one classic-zod import anywhere puts its whole class tree into the chunk
 * that `kpm get` loads. The English locale gives classic zod's messages.
 */
function buildSchema() {
  z.config(z.locales.en());
  const text = z.string();
  const scalar = z.union([text, z.number(), z.boolean(), z.null()]);
  const positiveOr = (fallback: number) =>
    z.pipe(
      z.number().check(z.int({ error: "expected an integer" })),
      z.transform((value: number) => (value > 0 ? value : fallback)),
    );
  const positiveOrDefault = positiveOr(DEFAULT_TTL);
  return z.object({
    server: z.optional(text),
    cert: z.optional(text),
    key: z.optional(text),
    ca: z.optional(text),
    default_template: z.optional(text),
    session_key_ttl: z.optional(positiveOrDefault),
    strict_idle_timeout: z.optional(positiveOrDefault),
    agent_idle_timeout: z.optional(positiveOr(DEFAULT_AGENT_IDLE_TIMEOUT)),
    agent_cache_ttl: z.optional(positiveOr(DEFAULT_AGENT_CACHE_TTL)),
    secure_mode: z.optional(z.boolean()),
    agent: z.optional(z.boolean()),
    profile: z.optional(z.nullable(z.record(text, scalar))),
    audit_log: z.optional(text),
    confine: z.optional(text),
    broker: z.optional(
      z.object({ resolve: z.optional(z.record(text, text)), upstream_ca: z.optional(text) }),
    ),
  });
}

export function loadConfig(path: string, home: string): KpmConfig {
  const { base, text } = readConfigFile(path);
  return flatConfig(base, text, home) ?? yamlConfig(base, text ?? "", home);
}

/** A file the flat reader declined (read once by the caller): YAML parser and schema. */
export function yamlConfig(base: KpmConfig, text: string, home: string): KpmConfig {
  const { raw, data } = parseFullConfig(base.path, text);
  if (raw === undefined) return base;
  return toConfig(base, home, data, Object.keys(raw));
}

/** The YAML parser and the zod schema: every file the flat reader declines, and every error text. */
function parseFullConfig(path: string, text: string): { raw?: object; data: ConfigData } {
  let raw: unknown;
  try {
    raw = parseYaml(text, { maxAliasCount: 100 });
  } catch (error) {
    throw parseError(path, firstLine((error as Error).message));
  }
  if (raw === null || raw === undefined) return { data: {} };
  if (typeof raw !== "object" || Array.isArray(raw)) throw parseError(path, "top level must be a mapping");
  const result = buildSchema().safeParse(raw);
  if (!result.success) {
    const issue = result.error.issues[0];
    const where = issue?.path.join(".") || "config";
    throw parseError(path, `${where}: ${issue?.message ?? "invalid value"}`);
  }
  return { raw, data: result.data };
}

function firstLine(text: string): string {
  return text.split("\n")[0] ?? text;
}
