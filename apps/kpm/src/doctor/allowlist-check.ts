// Doctor: the allow-list `kpm run --secure` would use here (§9.1.1): found, parses, which tools it
// names and how much each may have. No allow-list is fine until --secure is used.
import type { Allowlist } from "@kpm/allowlist";
import { type CheckResult, type DoctorCheck, result } from "./check.ts";

const PARSE_PREFIX = "kpm: parse secure-allowlist.yaml: ";

export const checkAllowlist: DoctorCheck = async (ctx) => {
  let configDir: string;
  try {
    configDir = ctx.dirs.configDir;
  } catch {
    return [result("allowlist", "allow-list", "skipped", "not checked — no usable config dir")];
  }
  const allowlist = await import("@kpm/allowlist");
  const lookup = { projectDir: ctx.env.KPM_PROJECT_DIR || undefined, cwd: ctx.cwd, configDir };
  let path: string;
  try {
    path = allowlist.findAllowlist(lookup);
  } catch {
    const [project, user] = allowlist.allowlistCandidates(lookup);
    return [
      result(
        "allowlist",
        "allow-list",
        "ok",
        `none (only kpm run --secure needs one: ${user} or ${project})`,
      ),
    ];
  }
  const label = `allow-list ${path}`;
  let list: Allowlist;
  try {
    list = allowlist.loadAllowlist(path);
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    // `<path>:<line>: <problem>` or `<path>: <problem>`: the label names the path already.
    const detail = (message.startsWith(PARSE_PREFIX) ? message.slice(PARSE_PREFIX.length) : message)
      .replace(`${path}:`, "line ")
      .replace(/^line {2}/, "");
    return [
      result("allowlist", label, "fail", detail, `correct ${path}; kpm run --secure refuses it until then`),
    ];
  }
  return [summary(label, list)];
};

function summary(label: string, list: Allowlist): CheckResult {
  if (list.size === 0)
    return result("allowlist", label, "ok", "no tools (kpm run --secure gives every tool nothing)");
  const tools: string[] = [];
  const everything: string[] = [];
  for (const [tool, rules] of list) {
    const count = rules === null ? 0 : rules.patterns.length + rules.pins.size;
    if (rules?.patterns.includes("*")) everything.push(tool);
    tools.push(`${tool} (${count === 1 ? "1 entry" : `${count} entries`})`);
  }
  const detail = `${list.size === 1 ? "1 tool" : `${list.size} tools`}: ${tools.join(", ")}`;
  if (everything.length > 0) {
    return result(
      "allowlist",
      label,
      "warn",
      `${detail}; ${everything.join(", ")} may have every secret ("*")`,
      "list only the variables each tool needs",
    );
  }
  return result("allowlist", label, "ok", detail);
}
