// `kpm run [flags] [--] <cmd> [args…]` (§8.2, §9, §10): give one process the plaintext it is
// entitled to, for its lifetime only — from a template, or by decrypting the shell's blobs
// through their listeners — then mirror its exit status.

import { basename } from "@kpm/deferred/path";
import type { TemplateEntry } from "@kpm/template/core";
import { defineKpmCommand } from "../cli/command.ts";
import { CliError, UsageError } from "../cli/errors.ts";
import { refuseExclusiveFlags } from "../cli/exclusive-flags.ts";
import type { KpmContext } from "../context.ts";
import { hasActiveSession } from "../managed-env.ts";
import { hardenSelf } from "../process-hardening.ts";
import { parseConfineMode } from "../run/confine-mode.ts";
import { planEnvScanRun } from "../run/env-scan-mode.ts";
import { passedOverLine, passedOverTemplate } from "../run/env-scan-notice.ts";
import type { ChildPlan } from "../run/plan.ts";
import { prestartChild, spawnChild } from "../run/spawn.ts";
import type { TemplateChoice } from "../template-load.ts";

export const runArgs = {
  from: { type: "string", description: "Template file", valueHint: "path" },
  //blog:part-2
  plaintext: { type: "boolean", description: "Accepted; the child always receives plaintext" },
  //blog:part-2
  strict: {
    type: "boolean",
    description: "One policy-checked AgentKMS request per variable, no session key",
  },
  //blog:part-4
  secure: { type: "boolean", description: "Filter secrets through the per-tool allow-list" },
  "allow-missing": {
    type: "boolean",
    description: "Run even when a reference cannot be resolved (those variables are unset)",
  },
  mask: { type: "boolean", description: "Mask secrets in the child's output even on a terminal" },
  "no-masking": { type: "boolean", description: "Never mask the child's output" },
  confine: {
    type: "string",
    description: "With --secure: keep the tool out of kpm's key files (auto, required, off; default auto)",
    valueHint: "mode",
  },
} as const;

export default defineKpmCommand({
  meta: { name: "run", description: "Run a command with its secrets injected" },
  examples: [
    { command: "kpm run -- npm start", about: "template mode (.env.template) or the shell's blobs" },
    { command: "kpm run --from deploy.template -- ./deploy.sh" },
    { command: "kpm run --secure -- claude", about: "only the variables the allow-list names for claude" },
  ],
  usage: "[flags] [--] <cmd> [args…]",
  stopAtFirstPositional: true,
  // Env-scan mode resolves no directory: it never loads node:fs or node:path (see selectTemplate).
  preparesContext: true,
  args: runArgs,
  run: async ({ args, data: ctx }) => {
    const [command, ...childArgs] = args._;
    if (!command) throw new UsageError("kpm run: no command specified");
    refuseExclusiveFlags(args, ["secure/plaintext", "strict/plaintext", "mask/no-masking"]);
    const confineFlag = parseConfineMode(args.confine, args.secure === true);
    // Before any secret is fetched or decrypted into this process.
    hardenSelf(ctx.env, ctx.log);

    const tool = toolName(command);
    // An untrusted project template or allow-list: skipped with a line, or under --secure the error.
    const onUntrusted = args.secure ? "fail" : "skip";
    const template = await selectTemplate(ctx, tool, args.from, onUntrusted);
    const mask = args.mask === true ? "force" : args["no-masking"] === true ? "off" : "auto";
    const entries: TemplateEntry[] | null = template
      ? await (await import("../template-load.ts")).loadEntries(ctx, template, onUntrusted)
      : null;
    // Secrets are coming (blobs in the environment, or KMS references): the exec step starts now,
    // while they are fetched or decrypted, and is cancelled if anything below fails.
    const secretsExpected = entries === null || entries.some((entry) => entry.kind === "kms");
    const confinement = args.secure
      ? await (await import("../run/confinement.ts")).prepareConfinement(ctx, confineFlag)
      : undefined;
    const step =
      secretsExpected || confinement?.kind === "landlock" ? prestartChild(ctx, mask, confinement) : null;
    try {
      let plan: ChildPlan;
      if (entries) {
        const { planTemplateRun } = await import("../run/template-mode.ts");
        plan = await planTemplateRun(ctx, {
          tool,
          command,
          entries,
          strict: args.strict === true,
          secure: args.secure === true,
          allowMissing: args["allow-missing"] === true,
          confinement: confinement?.summary,
        });
      } else {
        plan = await planEnvScanRun(ctx);
      }
      ctx.log.debug(`✓ Injecting ${plan.injected} plaintext env vars into ${tool}`);
      try {
        return await spawnChild(ctx, { command, args: childArgs, plan, mask, step, confinement });
      } finally {
        await plan.broker?.close();
      }
    } catch (error) {
      await step?.cancel();
      throw error;
    }
  },
});

/** The tool (§8.2: the basename of <cmd> as typed). */
function toolName(command: string): string {
  const isPath = command.includes("/") || (process.platform === "win32" && command.includes("\\"));
  return isPath ? basename(command) : command;
}

/** Mode selection (§8.2): the template to load, or null for env-scan mode. */
async function selectTemplate(
  ctx: KpmContext,
  tool: string,
  from: string | undefined,
  onUntrusted: "skip" | "fail",
): Promise<TemplateChoice | null> {
  const secure = onUntrusted === "fail";
  // Env-scan mode (an active session and no --from/--secure) never loads the template code; it
  // only says which project template it passed over, if any (--from always wins over env-scan).
  if (from === undefined && !secure && hasActiveSession(ctx.env)) {
    const passedOver = passedOverTemplate(ctx.cwd, tool);
    if (passedOver !== null) ctx.log.warn(passedOverLine(passedOver));
    return null;
  }
  await ctx.prepare();
  const { chooseTemplate, defaultTemplate, discoverTrustedTemplate } = await import("../template-load.ts");
  if (from !== undefined) return chooseTemplate(ctx, from, true, onUntrusted);
  const found = discoverTrustedTemplate(ctx, tool, onUntrusted);
  if (found) {
    ctx.log.debug(`✓ Auto-discovered template: ${found.path}`);
    return found;
  }
  const fallback = await defaultTemplate(ctx, onUntrusted);
  if (fallback.usable) return fallback;
  if (secure) {
    throw new CliError(
      `kpm: --secure requires a template file (no --from, no ${tool}.template found, default template "${fallback.path}" not found)`,
    );
  }
  throw new CliError(
    "error: no template specified and no active KPM session found (no KPM_SESSION env var and no ENC[kpm:...] blobs in environment)",
  );
}
