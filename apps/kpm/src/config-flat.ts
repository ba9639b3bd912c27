// config.yaml (spec §4.3) without yaml or zod: defaults, and the reader for a flat file of plain
// `key: value` lines (what init and quickstart write). On `kpm get` the YAML parser and the schema
// cost several ms of startup, so the CLI loads config.ts (both) only when this reader declines.

import { BoundedReadError, MAX_CONFIG_BYTES, readFileBounded } from "@kpm/bounded-read";
import { dirname } from "@kpm/deferred/path";
import { type FlatValue, readFlatYaml } from "@kpm/template/flat-yaml";
import { CliError } from "./cli/errors.ts";
import { expandPath } from "./paths.ts";
import { type ConfineMode, isConfineMode } from "./run/confine-mode.ts";

export const DEFAULT_TTL = 3600;

const STRING_KEYS = ["server", "cert", "key", "ca", "default_template", "audit_log", "confine"] as const;

const TTL_KEYS = ["session_key_ttl", "strict_idle_timeout", "agent_idle_timeout", "agent_cache_ttl"] as const;
const BOOLEAN_KEYS = ["secure_mode", "agent"] as const;
const KNOWN_KEYS = new Set<string>([...STRING_KEYS, ...TTL_KEYS, ...BOOLEAN_KEYS, "profile", "broker"]);

/** The per-user agent (docs/agent.md): idle exit and how long a vended value is kept in memory. */
export const DEFAULT_AGENT_IDLE_TIMEOUT = 900;
export const DEFAULT_AGENT_CACHE_TTL = 600;

/** A TTL key's value when the file gives none, or gives 0 or less. */
export function ttlDefault(key: (typeof TTL_KEYS)[number]): number {
  if (key === "agent_idle_timeout") return DEFAULT_AGENT_IDLE_TIMEOUT;
  if (key === "agent_cache_ttl") return DEFAULT_AGENT_CACHE_TTL;
  return DEFAULT_TTL;
}

/** The validated keys kpm uses (profile is read by @kpm/template; secure_mode: true is refused). */
export interface ConfigData {
  server?: string;
  cert?: string;
  key?: string;
  ca?: string;
  default_template?: string;
  session_key_ttl?: number;
  strict_idle_timeout?: number;
  agent_idle_timeout?: number;
  agent_cache_ttl?: number;
  audit_log?: string;
  secure_mode?: boolean;
  agent?: boolean;
  confine?: string;
  broker?: { resolve?: Record<string, string>; upstream_ca?: string };
}

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
  /** `agent: false` turns the per-user agent off (docs/agent.md). */
  agent: boolean;
  agentIdleTimeout: number;
  agentCacheTtl: number;
  auditLog?: string;
  /** `confine:` — how `kpm run --secure` confines the tool when --confine is not given. */
  confine?: ConfineMode;
  /** `broker:` — where brokered hosts are reached and which extra CA verifies them (docs/broker.md). */
  broker?: { resolve: Record<string, string>; upstreamCa?: string };
  /** Keys the schema does not know (reported with --verbose). */
  unknownKeys: string[];
}

export function parseError(path: string, detail: string): CliError {
  return new CliError(`error: config parse error: parse config ${path}: ${detail}`);
}

/** Like readFileSync(path, "utf8"): invalid bytes become U+FFFD and a BOM is left to the parser. */
const utf8 = new TextDecoder("utf-8", { ignoreBOM: true });

/**
 * The file's text (undefined when it does not exist) and the config it starts from. At most
 * 1 MiB is read (`--config /dev/zero` fails at once); FIFOs are read (`--config <(…)`).
 */
export function readConfigFile(path: string): { base: KpmConfig; text: string | undefined } {
  let text: string | undefined;
  try {
    text = utf8.decode(readFileBounded(path, MAX_CONFIG_BYTES));
  } catch (error) {
    if (!(error instanceof BoundedReadError)) throw error;
    if (error.code !== "ENOENT") throw parseError(path, error.message);
  }
  const base: KpmConfig = {
    path,
    exists: text !== undefined,
    defaultTemplate: ".env.template",
    sessionKeyTtl: DEFAULT_TTL,
    strictIdleTimeout: DEFAULT_TTL,
    agent: true,
    agentIdleTimeout: DEFAULT_AGENT_IDLE_TIMEOUT,
    agentCacheTtl: DEFAULT_AGENT_CACHE_TTL,
    unknownKeys: [],
  };
  return { base, text };
}

/** The config when the file is missing, blank or flat; undefined when only YAML and the schema can read it. */
export function loadFlatConfig(path: string, home: string): KpmConfig | undefined {
  const { base, text } = readConfigFile(path);
  return flatConfig(base, text, home);
}

/** The config from an already read file when the flat reader accepts it; undefined when it declines. */
export function flatConfig(base: KpmConfig, text: string | undefined, home: string): KpmConfig | undefined {
  if (text === undefined || text.trim() === "") return base;
  const flat = parseFlatConfig(text);
  return flat ? toConfig(base, home, flat.data, Object.keys(flat.values)) : undefined;
}

export function toConfig(base: KpmConfig, home: string, data: ConfigData, keys: string[]): KpmConfig {
  // A setting that promises protection must never be accepted and then ignored (docs/config.md).
  if (data.secure_mode === true) {
    throw new CliError([
      `error: config ${base.path}: secure_mode: true is not supported`,
      "  use kpm run --secure for each tool that should get only its allow-listed secrets, and remove secure_mode",
    ]);
  }
  if (data.confine !== undefined && !isConfineMode(data.confine))
    throw parseError(base.path, `confine: expected one of auto, required, off (got "${data.confine}")`);
  for (const [host, address] of Object.entries(data.broker?.resolve ?? {}))
    if (!/^(?:[^\s:[\]]+|\[[0-9A-Fa-f:.]+\]):\d{1,5}$/.test(address))
      throw parseError(base.path, `broker.resolve.${host}: expected <address>:<port> (got "${address}")`);
  const fileDir = dirname(base.path);
  const filePath = (value: string | undefined) =>
    value && value.length > 0 ? expandPath(value, home, fileDir) : undefined;
  return {
    ...base,
    server: data.server,
    cert: filePath(data.cert),
    key: filePath(data.key),
    ca: filePath(data.ca),
    auditLog: filePath(data.audit_log),
    confine: data.confine as ConfineMode | undefined,
    broker: data.broker
      ? { resolve: data.broker.resolve ?? {}, upstreamCa: filePath(data.broker.upstream_ca) }
      : undefined,
    defaultTemplate:
      data.default_template && data.default_template.length > 0 ? data.default_template : ".env.template",
    sessionKeyTtl: data.session_key_ttl ?? DEFAULT_TTL,
    strictIdleTimeout: data.strict_idle_timeout ?? DEFAULT_TTL,
    agent: data.agent ?? true,
    agentIdleTimeout: data.agent_idle_timeout ?? DEFAULT_AGENT_IDLE_TIMEOUT,
    agentCacheTtl: data.agent_cache_ttl ?? DEFAULT_AGENT_CACHE_TTL,
    unknownKeys: keys.filter((key) => !KNOWN_KEYS.has(key)),
  };
}

/**
 * Reads a file made only of `key: value` lines, blank lines and comments, where every value is a
 * plain string or a decimal integer of the right type for its key. Returns undefined for anything
 * else (quotes, nesting, flow style, booleans, nulls, CRLF, duplicates, wrong types, …) so that
 * the YAML parser and the schema decide — and word the error. Exported for the differential test.
 */
export function parseFlatConfig(
  text: string,
): { data: ConfigData; values: Record<string, FlatValue> } | undefined {
  const values = readFlatYaml(text);
  if (values === undefined) return undefined;
  const data: ConfigData = {};
  for (const [key, value] of Object.entries(values)) {
    // init and quickstart write `secure_mode: false`; `agent: false` turns the agent off.
    if (typeof value === "boolean" && !(BOOLEAN_KEYS as readonly string[]).includes(key)) return undefined;
    if ((STRING_KEYS as readonly string[]).includes(key)) {
      if (typeof value !== "string") return undefined;
      data[key as (typeof STRING_KEYS)[number]] = value;
    } else if ((TTL_KEYS as readonly string[]).includes(key)) {
      if (typeof value !== "number") return undefined;
      const ttlKey = key as (typeof TTL_KEYS)[number];
      data[ttlKey] = value > 0 ? value : ttlDefault(ttlKey);
    } else if ((BOOLEAN_KEYS as readonly string[]).includes(key)) {
      if (typeof value !== "boolean") return undefined;
      data[key as (typeof BOOLEAN_KEYS)[number]] = value;
    } else if (KNOWN_KEYS.has(key)) {
      // profile must be a mapping: the schema words that error.
      return undefined;
    }
  }
  return { data, values };
}
