// Which inherited variables a --secure tool keeps (docs/security.md, "Inherited environment"): the
// base set always; a name the tool's allow-list grants (an entry, a pin, `inherit:`); anything else
// unless it looks like a credential (@kpm/secret-detect) or is the SSH agent socket.

import { detect } from "@kpm/secret-detect";
import type { Allowlist } from "./parse-allowlist.ts";
import { matchesPattern } from "./pattern.ts";

/** Passes whatever it holds: what a tool needs to run, and kpm's own settings. */
export const BASE_INHERITED: readonly string[] = [
  "PATH",
  "HOME",
  "USER",
  "LOGNAME",
  "SHELL",
  "TERM",
  "COLORTERM",
  "LANG",
  "LANGUAGE",
  "LC_*",
  "TMPDIR",
  "XDG_*",
  "TZ",
  "EDITOR",
  "VISUAL",
  "PAGER",
  "PWD",
  "http_proxy",
  "https_proxy",
  "ftp_proxy",
  "all_proxy",
  "no_proxy",
  "HTTP_PROXY",
  "HTTPS_PROXY",
  "FTP_PROXY",
  "ALL_PROXY",
  "NO_PROXY",
  "KPM_CONFIG",
  "KPM_DATA",
  "KPM_AUDIT_LOG",
];

/** Dropped unless granted: whoever holds it can sign as you with every key in your agent. */
const AGENT_SOCKETS = new Set(["SSH_AUTH_SOCK"]);

export interface InheritDrop {
  variable: string;
  /** The detector's rule id ("name-word", "github-token", …) or "agent-socket"; never the value. */
  rule: string;
  reason: string;
}

export interface InheritOutcome {
  /** The environment without the dropped variables. */
  env: Record<string, string | undefined>;
  /** Sorted by name. */
  dropped: InheritDrop[];
  /** Variables kept only because the allow-list grants them (they looked like credentials), sorted. */
  granted: string[];
}

/** Whether one list grants `name` to the tool: a name or glob entry, a pin, or an `inherit:` pattern. */
function grants(list: Allowlist, tool: string, name: string): boolean {
  const rules = list.get(tool);
  if (rules === undefined || rules === null) return false;
  if (rules.pins.has(name)) return true;
  const patterns = [...rules.patterns, ...(rules.settings?.inherit ?? [])];
  return patterns.some((pattern) => matchesPattern(pattern, name));
}

/**
 * `lists[0]` is the chosen allow-list; the others bound it where they name the tool, exactly as
 * for KMS entries (layered.ts): a grant holds only when every such list grants the name.
 */
export function isGranted(lists: readonly Allowlist[], tool: string, name: string): boolean {
  const [chosen, ...bounds] = lists;
  if (chosen === undefined || !grants(chosen, tool, name)) return false;
  return bounds.every((list) => !list.has(tool) || grants(list, tool, name));
}

const BASE_NAMES = new Set(BASE_INHERITED.filter((pattern) => !pattern.includes("*")));
const BASE_GLOBS = BASE_INHERITED.filter((pattern) => pattern.includes("*"));

export function isBaseInherited(name: string): boolean {
  return BASE_NAMES.has(name) || BASE_GLOBS.some((pattern) => matchesPattern(pattern, name));
}

export function applyInheritPolicy(
  lists: readonly Allowlist[],
  tool: string,
  env: Readonly<Record<string, string | undefined>>,
): InheritOutcome {
  const kept: Record<string, string | undefined> = {};
  const dropped: InheritDrop[] = [];
  const granted: string[] = [];
  for (const [name, value] of Object.entries(env)) {
    if (value === undefined) continue;
    if (isBaseInherited(name)) {
      kept[name] = value;
      continue;
    }
    // An empty value carries nothing, whatever its name.
    const found =
      value === ""
        ? null
        : AGENT_SOCKETS.has(name)
          ? { rule: "agent-socket", reason: "the SSH agent signs with every key it holds" }
          : detect(name, value);
    if (found === null) kept[name] = value;
    else if (isGranted(lists, tool, name)) {
      kept[name] = value;
      granted.push(name);
    } else dropped.push({ variable: name, rule: found.rule, reason: found.reason });
  }
  dropped.sort((a, b) => (a.variable < b.variable ? -1 : a.variable > b.variable ? 1 : 0));
  granted.sort();
  return { env: kept, dropped, granted };
}
