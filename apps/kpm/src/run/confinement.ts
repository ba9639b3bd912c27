// `kpm run --secure --confine=auto|required|off`: which of kpm's own files the tool must not reach
// (config, data with certificates, keys and the trust store, the dev server's directory, the
// runtime directory), and how this machine keeps it out (@kpm/confine). The exec step enforces
// the Landlock rules; macOS runs the tool under sandbox-exec.

import {
  type ConfinementPlan,
  describeMechanism,
  detectMechanism,
  encodeRules,
  type Mechanism,
  nodeFileSystem,
  planConfinement,
  sandboxProfile,
} from "@kpm/confine";
import { dirname, join, resolve } from "@kpm/deferred/path";
import { landlockAbi } from "@kpm/libc";
import { CliError } from "../cli/errors.ts";
import type { KpmContext } from "../context.ts";
import { runtimeDirFor } from "../listener-client.ts";
import type { ConfineMode } from "./confine-mode.ts";

/** Test-only: "1" behaves as a kernel without Landlock, so tests reach the fallback lines. */
export const NO_LANDLOCK_VARIABLE = "KPM_TEST_NO_LANDLOCK";

/** What `kpm run` does about confinement; `summary` goes into each audit record. */
export type Confinement =
  | { kind: "none"; summary: string }
  | { kind: "landlock"; summary: string; abi: number; plan: ConfinementPlan; encoded: Uint8Array }
  | { kind: "sandbox-exec"; summary: string; plan: ConfinementPlan; profile: string; path: string };

/** The mode, the mechanism and the plan; a one-line notice or the refusal where none exists. */
export async function prepareConfinement(
  ctx: KpmContext,
  flag: ConfineMode | undefined,
): Promise<Confinement> {
  const mode = flag ?? (await ctx.config()).confine ?? "auto";
  if (mode === "off") {
    ctx.log.debug("kpm: --secure: confinement: off (--confine=off)");
    return { kind: "none", summary: "off" };
  }
  const mechanism = detectMechanism({
    platform: process.platform,
    landlockAbi: () => landlockAbi(),
    exists: (path) => nodeFileSystem().realpath(path) !== null,
    simulateNoLandlock: ctx.env[NO_LANDLOCK_VARIABLE] === "1",
  });
  if (mechanism.kind === "none") {
    if (mode === "required") {
      throw new CliError([
        `kpm: --secure --confine=required: no confinement available (${mechanism.reason}); the command was not started`,
        "  run it with --confine=auto to accept running unconfined",
      ]);
    }
    ctx.log.warn(
      `kpm: --secure: no confinement available (${mechanism.reason}); the agent can read kpm's key files`,
    );
    return { kind: "none", summary: describeMechanism(mechanism) };
  }
  const plan = planConfinement(await protectedPaths(ctx), nodeFileSystem());
  report(ctx, mechanism, plan);
  const summary = describeMechanism(mechanism);
  if (mechanism.kind === "landlock")
    return {
      kind: "landlock",
      summary,
      abi: mechanism.abi,
      plan,
      encoded: encodeRules(mechanism.abi, plan.rules),
    };
  return { kind: "sandbox-exec", summary, plan, profile: sandboxProfile(plan.denied), path: mechanism.path };
}

/** Shared temporary directories: denying an entry of one would take file creation away from all tools. */
function sharedTempDirs(ctx: KpmContext): string[] {
  return ["/tmp", "/var/tmp", ...(ctx.env.TMPDIR ? [resolve(ctx.env.TMPDIR)] : [])];
}

async function protectedPaths(ctx: KpmContext): Promise<{ denied: string[]; deniedIfFree: string[] }> {
  const { home, configDir, dataDir } = ctx.dirs;
  const denied = [configDir, dataDir, join(home, ".kpm"), join(home, ".agentkms"), ctx.configPath];
  if (ctx.env.AGENTKMS_DIR) denied.push(resolve(ctx.cwd, ctx.env.AGENTKMS_DIR));
  // Certificates and keys the config names outside those directories.
  const settings = await ctx.partialClientSettings();
  for (const path of [settings.cert, settings.key, settings.ca]) if (path) denied.push(path);
  const runtimeDir = runtimeDirFor(ctx.env);
  // The runtime directory holds no secret (sockets, records): listeners refuse confined clients.
  // In /tmp it is denied only when /tmp is restricted anyway (see planConfinement).
  const inSharedTemp = sharedTempDirs(ctx).includes(dirname(runtimeDir));
  return inSharedTemp
    ? { denied, deniedIfFree: [runtimeDir] }
    : { denied: [...denied, runtimeDir], deniedIfFree: [] };
}

function report(ctx: KpmContext, mechanism: Mechanism, plan: ConfinementPlan): void {
  ctx.log.debug(`kpm: --secure: confinement: ${describeMechanism(mechanism)}`);
  for (const path of plan.denied) ctx.log.debug(`kpm: --secure: denied to the tool: ${path}`);
  for (const path of plan.exposed)
    ctx.log.debug(
      `kpm: --secure: not denied: ${path} (shared temporary directory; listeners refuse confined clients)`,
    );
}
