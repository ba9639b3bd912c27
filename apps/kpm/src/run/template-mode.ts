// Template mode (§8.2, §9): filter with the allow-list first (--secure), then fetch only the
// survivors — batched by default, one uncached request per variable with --strict — and build
// the child's environment with plaintext values.
import { canPassInEnvironment, UNPASSABLE_VALUE } from "@kpm/agentkms-client/secret-value";
import type { Allowlist, AuditLog, FilterDecision } from "@kpm/allowlist";
import { formatReference, type TemplateEntry } from "@kpm/template/core";
import { CliError } from "../cli/errors.ts";
import { RATE_LIMIT_HINT, toCliError } from "../cli/lib-errors.ts";
import { plural } from "../cli/text.ts";
import type { KpmContext } from "../context.ts";
import { managedBlobs } from "../managed-env.ts";
import { type ChildPlan, unsetLine } from "./plan.ts";
import {
  applyInheritedEnvPolicy,
  type InheritedEnv,
  reportDropped,
  reportEnvSummary,
  summarizeEnv,
  verifyPinnedTool,
} from "./secure-env.ts";

type KmsEntry = Extract<TemplateEntry, { kind: "kms" }>;

interface TemplateRun {
  tool: string;
  /** <cmd> as typed: a pinned tool is resolved and checked from it (secure-env.ts). */
  command: string;
  entries: TemplateEntry[];
  strict: boolean;
  secure: boolean;
  /** --allow-missing: a reference that cannot be resolved is unset and the child still runs. */
  allowMissing: boolean;
  /** --secure: how the tool is confined, for each audit record. */
  confinement?: string | undefined;
}

export async function planTemplateRun(ctx: KpmContext, run: TemplateRun): Promise<ChildPlan> {
  const mode = run.strict ? "strict" : "default";
  let entries = run.entries;
  let audit: AuditLog | null = null;
  /** KMS variables the allow-list filtered out: absent from the child even if inherited. */
  let filtered: string[] = [];
  let lists: Allowlist[] = [];

  if (run.secure) {
    const secured = await applyAllowlist(ctx, run.tool, entries);
    entries = secured.kept;
    lists = secured.lists;
    const refused = secured.decisions.filter((decision) => decision.outcome !== "allowed");
    filtered = refused.map((decision) => decision.variable);
    audit = await openAudit(ctx, run.tool, mode, run.confinement);
    for (const decision of refused) audit?.record(decision);
  }

  let kms = entries.filter((entry): entry is KmsEntry => entry.kind === "kms");
  // Brokered variables (docs/broker.md) are not fetched now: the tool gets a placeholder.
  const brokered: Array<{ entry: KmsEntry; hosts: string[] }> = [];
  if (run.secure && lists.some((list) => [...list.values()].some((rules) => rules?.brokered))) {
    const { brokeredHosts } = await import("@kpm/allowlist");
    for (const entry of kms) {
      const hosts = brokeredHosts(lists, run.tool, entry.key);
      if (hosts !== null) brokered.push({ entry, hosts });
    }
    kms = kms.filter((entry) => !brokered.some((item) => item.entry === entry));
  }
  let env: Record<string, string | undefined> = { ...ctx.env };
  let inherited: InheritedEnv | null = null;
  let executable: string | undefined;
  if (run.secure) {
    // §9.1.4: no inherited blob, KPM_SESSION, KPM_DECRYPT_SOCK or KPM_TEMPLATE reaches a --secure child.
    for (const blob of managedBlobs(env)) delete env[blob.name];
    delete env.KPM_SESSION;
    delete env.KPM_DECRYPT_SOCK;
    delete env.KPM_TEMPLATE;
    for (const name of filtered) delete env[name];
    inherited = await applyInheritedEnvPolicy(lists, run.tool, env);
    env = inherited.env;
  }
  for (const entry of entries) if (entry.kind === "plain") env[entry.key] = entry.value;
  // Before anything is fetched, so a tool that is not the pinned one never gets a secret; the
  // drop count is printed only for a tool that will start.
  if (run.secure) executable = await verifyPinnedTool(ctx, lists, run.tool, run.command, env);
  if (inherited !== null) await reportDropped(ctx, inherited.dropped);
  const received: Array<{ variable: string; ref: string }> = [];

  const secrets: string[] = [];
  let injected = entries.length - kms.length;
  if (kms.length > 0) {
    // --strict never goes through the agent's cache: one policy-checked request per variable.
    const client = await ctx.client({ authenticateEarly: true, viaAgent: !run.strict });
    const agentkms = await import("@kpm/agentkms-client/resolve");
    const results = run.strict
      ? await Promise.all(kms.map((entry) => agentkms.resolveOne(client, entry.ref)))
      : await agentkms.resolveBatch(
          client,
          kms.map((entry) => entry.ref),
        );
    if (run.strict)
      ctx.log.debug(`✓ Strict mode: ${kms.length} per-variable AgentKMS round-trips (no session key)`);
    else
      ctx.log.debug(
        `✓ Resolved ${plural(results.filter((result) => result.ok).length, "secret")} from AgentKMS`,
      );
    const unresolved: string[] = [];
    kms.forEach((entry, index) => {
      const result = results[index];
      if (result?.ok && !canPassInEnvironment(entry.key, result.value)) {
        delete env[entry.key];
        ctx.log.warn(unsetLine(entry.key, UNPASSABLE_VALUE));
        audit?.record({ variable: entry.key, ref: formatReference(entry.ref), outcome: "unavailable" });
      } else if (result?.ok) {
        env[entry.key] = result.value;
        if (!result.fromDefault) secrets.push(result.value);
        injected++;
        received.push({ variable: entry.key, ref: formatReference(entry.ref) });
        audit?.record({ variable: entry.key, ref: formatReference(entry.ref), outcome: "allowed" });
      } else {
        delete env[entry.key];
        const reason = result
          ? strictReason(result.error.message, result.denied, run.strict)
          : "not resolved";
        audit?.record({ variable: entry.key, ref: formatReference(entry.ref), outcome: "unavailable" });
        // A policy denial is a decision, and the child runs without that variable (§8.2). Anything
        // else (server down, TLS, not found without a default) fails closed unless --allow-missing.
        if (result?.denied || run.allowMissing) ctx.log.warn(unsetLine(entry.key, reason));
        else unresolved.push(`kpm: cannot resolve ${entry.key}: ${reason}`);
      }
    });
    if (unresolved.length > 0) {
      for (const line of unresolved) ctx.log.warn(line);
      // A vend refused inside the server's rate-limit window: the agent is the way around it.
      if (results.some((result) => !result.ok && result.error.status === 429)) ctx.log.warn(RATE_LIMIT_HINT);
      const count = unresolved.length === 1 ? "1 reference" : `${unresolved.length} references`;
      throw new CliError([
        `kpm run: ${count} could not be resolved; the command was not started`,
        "  to run it with those variables unset, add --allow-missing",
      ]);
    }
  }
  let broker: ChildPlan["broker"];
  let brokerSummary: Parameters<typeof summarizeEnv>[6] = null;
  if (brokered.length > 0) {
    const { startRunBroker } = await import("./broker-mode.ts");
    const started = await startRunBroker(ctx, { tool: run.tool, strict: run.strict, audit }, brokered);
    Object.assign(env, started.env);
    broker = started;
    const refs = brokered.map(({ entry, hosts }) => ({
      variable: entry.key,
      ref: formatReference(entry.ref),
      hosts,
    }));
    for (const { variable, ref } of refs) audit?.record({ variable, ref, outcome: "allowed" });
    const names = new Set(refs.map((entry) => entry.variable));
    brokerSummary = { brokered: refs, env: Object.keys(started.env).filter((name) => !names.has(name)) };
  }
  try {
    if (inherited !== null) {
      const template = entries.filter((entry) => entry.kind === "plain").map((entry) => entry.key);
      const summary = summarizeEnv(run.tool, env, inherited, template, received, executable, brokerSummary);
      await reportEnvSummary(ctx, summary);
      if (audit) {
        const { envRecord } = await import("@kpm/allowlist");
        audit.append(envRecord(summary, mode, new Date(), run.confinement));
      }
    }
  } catch (error) {
    // A running proxy would keep kpm alive: it goes with the run that failed.
    await broker?.close();
    throw error;
  }
  return { env, secrets, injected, executable, broker };
}

/** Under --strict a denial reads as the listener's would (§8.2 example). */
function strictReason(message: string, denied: boolean, strict: boolean): string {
  if (!strict) return message;
  return denied ? `strict decrypt denied by policy: ${message}` : `strict decrypt failed: ${message}`;
}

async function applyAllowlist(
  ctx: KpmContext,
  tool: string,
  entries: TemplateEntry[],
): Promise<{ kept: TemplateEntry[]; decisions: FilterDecision[]; lists: Allowlist[] }> {
  const allowlist = await import("@kpm/allowlist");
  const lists: Array<ReturnType<typeof allowlist.loadAllowlist>> = [];
  try {
    const lookup = {
      projectDir: ctx.env.KPM_PROJECT_DIR || undefined,
      cwd: ctx.cwd,
      configDir: ctx.dirs.configDir,
    };
    const path = allowlist.findAllowlist(lookup);
    const { allowlistGate } = await import("../project-trust.ts");
    const gate = allowlistGate(ctx);
    lists.push(allowlist.loadAllowlist(path, gate));
    // A trusted project list may narrow what the user's own list grants, never widen it.
    const bound = allowlist.boundingAllowlist(lookup, path);
    if (bound !== null) lists.push(allowlist.loadAllowlist(bound, gate));
  } catch (error) {
    throw toCliError(error);
  }
  const result = allowlist.filterEntriesBounded(
    lists,
    tool,
    entries.map((entry) => ({ entry, key: entry.key, ref: entry.kind === "kms" ? entry.ref : null })),
  );
  if (result.status === "not_listed")
    ctx.log.warn(`kpm: --secure: tool "${tool}" not in allow-list; all secrets filtered`);
  if (result.allowsEverything) ctx.log.warn(`kpm: --secure: tool "${tool}" is allowed every secret ("*")`);
  for (const { entry, decision } of result.mismatches) {
    const where = `${entry.entry.file}:${entry.entry.line}`;
    ctx.log.warn(allowlist.formatPinRefusal(tool, decision, where));
  }
  for (const decision of result.decisions) ctx.log.debug(allowlist.formatAuditLine(decision, tool));
  return { kept: result.kept.map((item) => item.entry), decisions: result.decisions, lists };
}

/** The NDJSON audit log of --secure decisions (§9.4); unopenable → hard error before any fetch. */
async function openAudit(
  ctx: KpmContext,
  tool: string,
  mode: "default" | "strict",
  confinement?: string,
): Promise<AuditLog | null> {
  const config = await ctx.config();
  const fromEnv = ctx.env.KPM_AUDIT_LOG;
  const path = fromEnv && fromEnv.length > 0 ? ctx.flagPath(fromEnv) : config.auditLog;
  if (!path) return null;
  const { openAuditLog } = await import("@kpm/allowlist");
  try {
    return openAuditLog(path, { tool, mode, confinement });
  } catch (error) {
    throw toCliError(error);
  }
}
