// config.yaml (spec §4.3): zod-validated, defaults applied with or without a file, paths
// expanded relative to the file's directory.
import { readFileSync } from "node:fs";
import { dirname } from "node:path";
import { parse as parseYaml } from "yaml";
import { z } from "zod";
import { CliError } from "./cli/errors.ts";
import { expandPath } from "./paths.ts";

const DEFAULT_TTL = 3600;

const scalar = z.union([z.string(), z.number(), z.boolean(), z.null()]);
const positiveOrDefault = z
  .number()
  .int("expected an integer")
  .transform((value) => (value > 0 ? value : DEFAULT_TTL));

const configSchema = z.object({
  server: z.string().optional(),
  cert: z.string().optional(),
  key: z.string().optional(),
  ca: z.string().optional(),
  default_template: z.string().optional(),
  session_key_ttl: positiveOrDefault.optional(),
  strict_idle_timeout: positiveOrDefault.optional(),
  secure_mode: z.boolean().optional(),
  profile: z.record(z.string(), scalar).nullable().optional(),
  audit_log: z.string().optional(),
});

const KNOWN_KEYS = new Set(Object.keys(configSchema.shape));

export interface KpmConfig {
  /** The config file's path (whether or not it exists). */
  path: string;
  exists: boolean;
  server?: string;
  cert?: string;
  key?: string;
  ca?: string;
  defaultTemplate: string;
  sessionKeyTtl: number;
  strictIdleTimeout: number;
  auditLog?: string;
  /** Keys the schema does not know (reported with --verbose). */
  unknownKeys: string[];
}

function parseError(path: string, detail: string): CliError {
  return new CliError(`error: config parse error: parse config ${path}: ${detail}`);
}

export function loadConfig(path: string, home: string): KpmConfig {
  let text: string | undefined;
  try {
    text = readFileSync(path, "utf8");
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code !== "ENOENT") throw parseError(path, describeIoError(error));
  }
  const base: KpmConfig = {
    path,
    exists: text !== undefined,
    defaultTemplate: ".env.template",
    sessionKeyTtl: DEFAULT_TTL,
    strictIdleTimeout: DEFAULT_TTL,
    unknownKeys: [],
  };
  if (text === undefined || text.trim() === "") return base;

  let raw: unknown;
  try {
    raw = parseYaml(text, { maxAliasCount: 100 });
  } catch (error) {
    throw parseError(path, firstLine((error as Error).message));
  }
  if (raw === null || raw === undefined) return base;
  if (typeof raw !== "object" || Array.isArray(raw)) throw parseError(path, "top level must be a mapping");
  const result = configSchema.safeParse(raw);
  if (!result.success) {
    const issue = result.error.issues[0];
    const where = issue?.path.join(".") || "config";
    throw parseError(path, `${where}: ${issue?.message ?? "invalid value"}`);
  }
  const data = result.data;
  const fileDir = dirname(path);
  const filePath = (value: string | undefined) =>
    value && value.length > 0 ? expandPath(value, home, fileDir) : undefined;
  return {
    ...base,
    server: data.server,
    cert: filePath(data.cert),
    key: filePath(data.key),
    ca: filePath(data.ca),
    auditLog: filePath(data.audit_log),
    defaultTemplate:
      data.default_template && data.default_template.length > 0 ? data.default_template : ".env.template",
    sessionKeyTtl: data.session_key_ttl ?? DEFAULT_TTL,
    strictIdleTimeout: data.strict_idle_timeout ?? DEFAULT_TTL,
    unknownKeys: Object.keys(raw).filter((key) => !KNOWN_KEYS.has(key)),
  };
}

function firstLine(text: string): string {
  return text.split("\n")[0] ?? text;
}

export function describeIoError(error: unknown): string {
  const code = (error as NodeJS.ErrnoException).code;
  switch (code) {
    case "ENOENT":
      return "no such file or directory";
    case "EACCES":
      return "permission denied";
    case "EISDIR":
      return "is a directory";
    case "ENOTDIR":
      return "not a directory";
    default:
      return code ? code.toLowerCase() : firstLine(String((error as Error).message ?? error));
  }
}
