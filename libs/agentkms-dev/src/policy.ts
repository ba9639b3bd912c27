// The AgentKMS policy engine (wire §3): ordered rules, first match wins, deny by default, per-rule sliding
// rate windows and UTC time windows. Files use the §3.2 YAML format with strict decoding.
import { BoundedReadError, MiB, readFileBounded } from "@kpm/bounded-read";
import { parse as parseYaml } from "yaml";
import * as z from "zod/mini";
import { DevError } from "./errors.ts";
import { formatGoDuration, parseGoDuration } from "./go-duration.ts";
import { globProblem, matchGlob } from "./go-path-match.ts";

// zod/mini ships without messages; the English locale gives classic zod's texts in policy errors.
z.config(z.locales.en());

export const KNOWN_OPERATIONS = [
  "sign",
  "encrypt",
  "decrypt",
  "list_keys",
  "rotate_key",
  "credential_vend",
  "credential_refresh",
  "auth",
  "secret_write",
  "secret_delete",
  "secret_purge",
  "metadata_write",
  "metadata_list",
  "secret_history",
] as const;

const ROLES = ["developer", "service", "agent"] as const;
const DAYS = ["sun", "mon", "tue", "wed", "thu", "fri", "sat"] as const;

const text = z.string();
const texts = z.array(text);

const ruleSchema = z.strictObject({
  id: text,
  description: z.optional(text),
  match: z.optional(
    z.strictObject({
      identity: z.optional(
        z.strictObject({
          team_id: z.optional(text),
          caller_id_pattern: z.optional(text),
          roles: z.optional(texts),
        }),
      ),
      operations: z.optional(texts),
      key_ids: z.optional(texts),
      key_prefix: z.optional(text),
    }),
  ),
  effect: text,
  rate_limit: z.optional(z.strictObject({ max_requests: z.int(), window: text })),
  time_window: z.optional(
    z.strictObject({
      days: z.optional(texts),
      start_utc: z.int(),
      end_utc: z.int(),
    }),
  ),
  bounds: z.optional(
    z.strictObject({
      kind: z.optional(text),
      max_params: z.optional(z.record(text, z.unknown())),
      max_ttl: z.optional(text),
    }),
  ),
});

const policySchema = z.strictObject({
  version: text,
  rules: z.array(ruleSchema),
});

type RuleFile = z.infer<typeof ruleSchema>;

export interface PolicyRule {
  id: string;
  description: string;
  effect: "allow" | "deny";
  teamId: string;
  callerIdPattern: string;
  roles: string[];
  operations: string[];
  keyIds: string[];
  keyPrefix: string;
  rateLimit?: { maxRequests: number; windowMs: number; windowText: string };
  timeWindow?: { days: number[]; startUtc: number; endUtc: number };
}

export interface Policy {
  version: string;
  rules: PolicyRule[];
  /** Sliding-window timestamps per "<rule id>\0<CN>"; engine state, so it lives with the rules. */
  windows: Map<string, number[]>;
}

export interface PolicySubject {
  callerId: string;
  teamId: string;
  role: string;
}

export interface Decision {
  allowed: boolean;
  ruleId?: string;
  reason?: string;
}

// ---- loading -------------------------------------------------------------------------------------

function fail(file: string, where: string, problem: string): never {
  throw new DevError("policy", `${file}: ${where ? `${where}: ` : ""}${problem}`);
}

function issuePath(path: ReadonlyArray<PropertyKey>): string {
  let out = "";
  for (const part of path) out += typeof part === "number" ? `[${part}]` : `${out ? "." : ""}${String(part)}`;
  return out;
}

function compileRule(file: string, rule: RuleFile, index: number, seen: Set<string>): PolicyRule {
  const at = `rules[${index}]`;
  if (!rule.id.trim()) fail(file, `${at}.id`, "is required");
  if (seen.has(rule.id)) fail(file, `${at}.id`, `duplicate rule id "${rule.id}"`);
  seen.add(rule.id);
  if (rule.effect !== "allow" && rule.effect !== "deny")
    fail(file, `${at}.effect`, `must be "allow" or "deny", got "${rule.effect}"`);
  const match = rule.match ?? {};
  const identity = match.identity ?? {};
  for (const [i, role] of (identity.roles ?? []).entries()) {
    if (!(ROLES as readonly string[]).includes(role.toLowerCase()))
      fail(file, `${at}.match.identity.roles[${i}]`, `unknown role "${role}" (developer, service or agent)`);
  }
  const pattern = identity.caller_id_pattern ?? "";
  const problem = pattern ? globProblem(pattern) : null;
  if (problem !== null) fail(file, `${at}.match.identity.caller_id_pattern`, `invalid glob: ${problem}`);
  for (const [i, op] of (match.operations ?? []).entries()) {
    if (!(KNOWN_OPERATIONS as readonly string[]).includes(op))
      fail(file, `${at}.match.operations[${i}]`, `unknown operation "${op}"`);
  }
  const keyIds = match.key_ids ?? [];
  const keyPrefix = match.key_prefix ?? "";
  if (keyIds.length > 0 && keyPrefix)
    fail(file, `${at}.match`, "key_ids and key_prefix are mutually exclusive");
  let rateLimit: PolicyRule["rateLimit"];
  if (rule.rate_limit) {
    if (rule.rate_limit.max_requests <= 0) fail(file, `${at}.rate_limit.max_requests`, "must be positive");
    const windowMs = parseGoDuration(rule.rate_limit.window);
    if (windowMs === null || windowMs <= 0)
      fail(file, `${at}.rate_limit.window`, `invalid duration "${rule.rate_limit.window}"`);
    rateLimit = {
      maxRequests: rule.rate_limit.max_requests,
      windowMs,
      windowText: formatGoDuration(windowMs),
    };
  }
  let timeWindow: PolicyRule["timeWindow"];
  if (rule.time_window) {
    const { start_utc: start, end_utc: end } = rule.time_window;
    if (start < 0 || start > 23) fail(file, `${at}.time_window.start_utc`, "must be 0..23");
    if (end < 1 || end > 24) fail(file, `${at}.time_window.end_utc`, "must be 1..24");
    if (start >= end) fail(file, `${at}.time_window`, "start_utc must be before end_utc");
    const days = (rule.time_window.days ?? []).map((day, i) => {
      const d = (DAYS as readonly string[]).indexOf(day.toLowerCase());
      if (d < 0) fail(file, `${at}.time_window.days[${i}]`, `unknown day "${day}" (sun..sat)`);
      return d;
    });
    timeWindow = { days, startUtc: start, endUtc: end };
  }
  if (rule.bounds) {
    // Validated so typos surface, but never enforced by this server (cli §15.3).
    if (rule.effect !== "allow") fail(file, `${at}.bounds`, "only allowed on allow rules");
    const ttl = rule.bounds.max_ttl;
    if (ttl !== undefined) {
      const ms = parseGoDuration(ttl);
      if (ms === null || ms <= 0) fail(file, `${at}.bounds.max_ttl`, `invalid duration "${ttl}"`);
    }
  }
  return {
    id: rule.id,
    description: rule.description ?? "",
    effect: rule.effect,
    teamId: identity.team_id ?? "",
    callerIdPattern: pattern,
    roles: (identity.roles ?? []).map((r) => r.toLowerCase()),
    operations: match.operations ?? [],
    keyIds,
    keyPrefix,
    ...(rateLimit ? { rateLimit } : {}),
    ...(timeWindow ? { timeWindow } : {}),
  };
}

/** Parses and validates a policy from YAML text; `file` names it in errors. */
export function parsePolicy(text: string, file: string): Policy {
  let doc: unknown;
  try {
    doc = parseYaml(text, { uniqueKeys: true });
  } catch (error) {
    fail(file, "", `invalid YAML: ${(error as Error).message.split("\n")[0]}`);
  }
  const parsed = policySchema.safeParse(doc);
  if (!parsed.success) {
    // A misspelled key also makes its correct twin "required": name the typo, which is the cause.
    const issue =
      parsed.error.issues.find((candidate) => candidate.code === "unrecognized_keys") ??
      parsed.error.issues[0];
    if (!issue) fail(file, "", "invalid policy");
    const where = issuePath(issue.path);
    if (issue.code === "unrecognized_keys") {
      const keys = issue.keys.map((k) => `"${k}"`).join(", ");
      fail(file, where, `unknown field ${keys}`);
    }
    if (issue.code === "invalid_type" && issue.input === undefined) fail(file, where, "is required");
    fail(file, where, issue.message);
  }
  if (parsed.data.version !== "1") fail(file, "version", `must be "1", got "${parsed.data.version}"`);
  const seen = new Set<string>();
  return {
    version: parsed.data.version,
    rules: parsed.data.rules.map((rule, i) => compileRule(file, rule, i, seen)),
    windows: new Map(),
  };
}

/** A policy file is small; the cap keeps `--policy /dev/zero` from hanging the server's start. */
const MAX_POLICY_BYTES = MiB;

export function loadPolicy(path: string): Policy {
  let bytes: Uint8Array;
  try {
    bytes = readFileBounded(path, MAX_POLICY_BYTES);
  } catch (error) {
    const code = error instanceof BoundedReadError ? error.code : "error";
    if (code === "too_large") throw new DevError("policy", `${path}: ${(error as Error).message}`);
    throw new DevError("policy", `${path}: cannot read: ${code}`);
  }
  return parsePolicy(new TextDecoder("utf-8", { ignoreBOM: true }).decode(bytes), path);
}

/** The hard-coded dev policy of agentkms-dev (wire §3.4): every operation, every key, for every role. */
export function defaultPolicy(): Policy {
  return {
    version: "1.0",
    rules: [
      {
        id: "dev-allow-all",
        description: "Allow all operations in dev",
        effect: "allow",
        teamId: "",
        callerIdPattern: "",
        roles: ["developer", "service", "agent"],
        operations: [],
        keyIds: [],
        keyPrefix: "",
      },
    ],
    windows: new Map(),
  };
}

// ---- evaluation ----------------------------------------------------------------------------------

function ruleMatches(
  rule: PolicyRule,
  who: PolicySubject,
  operation: string,
  keyId: string,
  now: Date,
): boolean {
  if (rule.teamId && rule.teamId !== who.teamId) return false;
  if (rule.callerIdPattern && !matchGlob(rule.callerIdPattern, who.callerId)) return false;
  if (rule.roles.length > 0 && !rule.roles.includes(who.role.toLowerCase())) return false;
  if (rule.operations.length > 0 && !rule.operations.includes(operation)) return false;
  if (rule.keyIds.length > 0) {
    if (!rule.keyIds.includes(keyId)) return false;
  } else if (rule.keyPrefix && !keyId.startsWith(rule.keyPrefix)) return false;
  if (rule.timeWindow) {
    const { days, startUtc, endUtc } = rule.timeWindow;
    if (days.length > 0 && !days.includes(now.getUTCDay())) return false;
    const hour = now.getUTCHours();
    if (hour < startUtc || hour >= endUtc) return false;
  }
  return true;
}

export function evaluate(
  policy: Policy,
  who: PolicySubject,
  operation: string,
  keyId: string,
  now: Date,
): Decision {
  for (const rule of policy.rules) {
    if (!ruleMatches(rule, who, operation, keyId, now)) continue;
    if (rule.effect === "deny") {
      return {
        allowed: false,
        ruleId: rule.id,
        reason: `policy: denied by rule "${rule.id}": ${rule.description}`,
      };
    }
    if (rule.rateLimit) {
      const slot = `${rule.id}\u0000${who.callerId}`;
      const nowMs = now.getTime();
      const recent = (policy.windows.get(slot) ?? []).filter(
        (t) => nowMs - t < (rule.rateLimit?.windowMs ?? 0),
      );
      if (recent.length >= rule.rateLimit.maxRequests) {
        policy.windows.set(slot, recent);
        // A rate-limited match is final: it does not fall through to later rules.
        return {
          allowed: false,
          ruleId: rule.id,
          reason: `policy: rate limit exceeded for rule "${rule.id}" (max ${rule.rateLimit.maxRequests} per ${rule.rateLimit.windowText} for caller "${who.callerId}")`,
        };
      }
      recent.push(nowMs);
      policy.windows.set(slot, recent);
    }
    return { allowed: true, ruleId: rule.id };
  }
  return { allowed: false, reason: "policy: no rule allows this operation (deny by default)" };
}
