// What a --secure tool inherits and which file it is (docs/security.md, "Inherited environment",
// "Tool pinning"): the allow-list lib decides; this file applies its decisions to `kpm run`'s child
// and reports them (one stderr line for drops, --verbose kpm_env lines, the secure_env record).

import type { Allowlist, EnvSummary, InheritDrop } from "@kpm/allowlist";
import { resolve } from "@kpm/deferred/path";
import { CliError } from "../cli/errors.ts";
import type { KpmContext } from "../context.ts";

type Env = Record<string, string | undefined>;

export interface InheritedEnv {
  env: Env;
  dropped: InheritDrop[];
  granted: string[];
}

/** Drops inherited variables that look like credentials, unless granted (reportDropped says so). */
export async function applyInheritedEnvPolicy(
  lists: readonly Allowlist[],
  tool: string,
  env: Env,
): Promise<InheritedEnv> {
  const { applyInheritPolicy } = await import("@kpm/allowlist");
  return applyInheritPolicy(lists, tool, env);
}

/** One stderr line counting the dropped variables (naming them under --verbose); none when none. */
export async function reportDropped(ctx: KpmContext, dropped: readonly InheritDrop[]): Promise<void> {
  const { formatDropLine } = await import("@kpm/allowlist");
  const line = formatDropLine(dropped, ctx.globals.verbose);
  if (line !== null) ctx.log.warn(line);
}

/**
 * The real path to execute when the tool is pinned (path and/or sha256 in a list naming it), after
 * checking it; undefined for an unpinned tool. `command` is resolved as the spawn would: as typed
 * when it holds a "/", else through the child's PATH. A mismatch is exit 1 before any fetch.
 */
export async function verifyPinnedTool(
  ctx: KpmContext,
  lists: readonly Allowlist[],
  tool: string,
  command: string,
  env: Env,
): Promise<string | undefined> {
  const { checkToolPins, toolPins } = await import("@kpm/allowlist");
  const pins = toolPins(lists, tool);
  if (pins.length === 0) return undefined;
  let found: string | null;
  if (command.includes("/")) found = resolve(ctx.cwd, command);
  else found = Bun.which(command, { PATH: env.PATH ?? "" });
  if (found === null) throw new CliError(`error: run ${command}: executable file not found in $PATH`, 127);
  const check = checkToolPins(pins, found);
  if (!check.ok) throw new CliError(`kpm: --secure: ${tool}: ${check.problem}`);
  ctx.log.debug(`✓ ${tool} is the pinned tool: ${check.realPath}`);
  return check.realPath;
}

/**
 * What the tool receives: `env` is its final environment, `template` the plain entries' names and
 * `kms` the KMS variables it got; every other name in it was inherited.
 */
export function summarizeEnv(
  tool: string,
  env: Env,
  inherited: InheritedEnv,
  template: string[],
  kms: EnvSummary["kms"],
  executable: string | undefined,
  broker: { brokered: NonNullable<EnvSummary["brokered"]>; env: string[] } | null = null,
): EnvSummary {
  const set = new Set([
    ...template,
    ...kms.map((entry) => entry.variable),
    ...(broker?.brokered.map((entry) => entry.variable) ?? []),
    ...(broker?.env ?? []),
  ]);
  const kept = (name: string) => !set.has(name) && env[name] !== undefined;
  const summary: EnvSummary = {
    tool,
    kms,
    template,
    inherited: Object.keys(inherited.env).filter(kept).sort(),
    granted: inherited.granted.filter(kept),
    dropped: inherited.dropped,
    executable,
  };
  if (broker !== null) {
    summary.brokered = broker.brokered;
    summary.brokerEnv = broker.env;
  }
  return summary;
}

/** --verbose lines; the summary's audit record is written by the caller's audit sink. */
export async function reportEnvSummary(ctx: KpmContext, summary: EnvSummary): Promise<void> {
  if (!ctx.globals.verbose) return;
  const { formatEnvSummaryLines } = await import("@kpm/allowlist");
  for (const line of formatEnvSummaryLines(summary)) ctx.log.debug(line);
}
