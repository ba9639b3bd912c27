// Template mode (§8.2, §9): filter with the allow-list first (--secure), then fetch only the
// survivors — batched by default, one uncached request per variable with --strict — and build
// the child's environment with plaintext values.
import { appendFileSync, chmodSync, closeSync, openSync } from "node:fs";
import { canPassInEnvironment, UNPASSABLE_VALUE } from "@kpm/agentkms-client/secret-value";
import type { AuditEvent, FilterDecision } from "@kpm/allowlist";
import { describeFsError } from "@kpm/bounded-read/error";
import { formatReference, type TemplateEntry } from "@kpm/template/core";
import { CliError } from "../cli/errors.ts";
import { plural } from "../cli/text.ts";
import type { KpmContext } from "../context.ts";
import { managedBlobs } from "../managed-env.ts";
import { type ChildPlan, unsetLine } from "./plan.ts";

type KmsEntry = Extract<TemplateEntry, { kind: "kms" }>;

interface TemplateRun {
  tool: string;
  entries: TemplateEntry[];
  strict: boolean;
  secure: boolean;
  /** --allow-missing: a reference that cannot be resolved is unset and the child still runs. */
  allowMissing: boolean;
}

interface AuditSink {
  record(event: AuditEvent): void;
}

export async function planTemplateRun(ctx: KpmContext, run: TemplateRun): Promise<ChildPlan> {
  const mode = run.strict ? "strict" : "default";
  let entries = run.entries;
  let audit: AuditSink | null = null;
  /** KMS variables the allow-list filtered out: absent from the child even if inherited. */
  let filtered: string[] = [];

  if (run.secure) {
    const secured = await applyAllowlist(ctx, run.tool, entries);
    entries = secured.kept;
    const refused = secured.decisions.filter((decision) => decision.outcome !== "allowed");
    filtered = refused.map((decision) => decision.variable);
    audit = await openAudit(ctx, run.tool, mode);
    for (const decision of refused) audit?.record(decision);
  }

  const kms = entries.filter((entry): entry is KmsEntry => entry.kind === "kms");
  const env: Record<string, string | undefined> = { ...ctx.env };
  if (run.secure) {
    // §9.1.4: no inherited blob, KPM_SESSION, KPM_DECRYPT_SOCK or KPM_TEMPLATE reaches a --secure child.
    for (const blob of managedBlobs(env)) delete env[blob.name];
    delete env.KPM_SESSION;
    delete env.KPM_DECRYPT_SOCK;
    delete env.KPM_TEMPLATE;
    for (const name of filtered) delete env[name];
  }
  for (const entry of entries) if (entry.kind === "plain") env[entry.key] = entry.value;

  const secrets: string[] = [];
  let injected = entries.length - kms.length;
  if (kms.length > 0) {
    const client = await ctx.client({ authenticateEarly: true });
    const agentkms = await import("@kpm/agentkms-client");
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
      const count = unresolved.length === 1 ? "1 reference" : `${unresolved.length} references`;
      throw new CliError([
        `kpm run: ${count} could not be resolved; the command was not started`,
        "  to run it with those variables unset, add --allow-missing",
      ]);
    }
  }
  return { env, secrets, injected };
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
): Promise<{ kept: TemplateEntry[]; decisions: FilterDecision[] }> {
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
    if (error instanceof allowlist.AllowlistError) throw new CliError(error.message);
    throw error;
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
  return { kept: result.kept.map((item) => item.entry), decisions: result.decisions };
}

/** The NDJSON audit log of --secure decisions (§9.4); unopenable → hard error before any fetch. */
async function openAudit(
  ctx: KpmContext,
  tool: string,
  mode: "default" | "strict",
): Promise<AuditSink | null> {
  const config = await ctx.config();
  const fromEnv = ctx.env.KPM_AUDIT_LOG;
  const path = fromEnv && fromEnv.length > 0 ? ctx.flagPath(fromEnv) : config.auditLog;
  if (!path) return null;
  try {
    const fd = openSync(path, "a", 0o600);
    closeSync(fd);
    chmodSync(path, 0o600);
  } catch (error) {
    throw new CliError(`kpm: cannot open audit log ${path}: ${describeFsError(error)}`);
  }
  const { formatAuditRecord } = await import("@kpm/allowlist");
  return {
    record(event) {
      appendFileSync(path, formatAuditRecord(event, tool, mode));
    },
  };
}
