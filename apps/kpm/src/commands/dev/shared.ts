// Pieces shared by the `kpm dev` subcommands.
import { earliestExpiry, formatDate, resolveDevDir } from "@kpm/agentkms-dev";
import type { ArgsDef } from "citty";
import { toCliError } from "../../cli/lib-errors.ts";
import type { KpmContext } from "../../context.ts";

export const dirArg = {
  dir: {
    type: "string",
    description: "Dev data dir (default: $AGENTKMS_DIR or ~/.agentkms/dev)",
    valueHint: "dir",
  },
} as const satisfies ArgsDef;

export function devDir(ctx: KpmContext, dir: string | undefined): string {
  return resolveDevDir({ dir: dir ? ctx.flagPath(dir) : undefined, env: ctx.env, home: ctx.dirs.home });
}

/** DevError → `error: <message>` (cli/lib-errors.ts). */
export function asCli(error: unknown): unknown {
  return toCliError(error);
}

const EXPIRY_WARNING_MS = 30 * 86_400_000;

/** The 30-day certificate warning of §15.2 (dev status, dev serve, quickstart). */
export function certificateWarning(dir: string, now = Date.now()): string | null {
  const expiry = earliestExpiry(dir);
  if (!expiry || expiry.getTime() - now > EXPIRY_WARNING_MS) return null;
  return `warning: dev certificates expire on ${formatDate(expiry)}; run: kpm dev enroll --renew`;
}
