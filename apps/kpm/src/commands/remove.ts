// `kpm remove <service/name> [--purge] [--yes]` (§11.5).
import { defineKpmCommand } from "../cli/command.ts";
import { CliError } from "../cli/errors.ts";
import { confirm } from "../cli/prompt.ts";
import { call, requirePath } from "./_shared.ts";

export default defineKpmCommand({
  meta: { name: "remove", description: "Delete a secret (--purge removes all versions)" },
  examples: [
    { command: "kpm remove cloudflare/dns-token", about: "soft delete, asks first" },
    { command: "kpm remove cloudflare/dns-token --purge --yes", about: "every version, no prompt" },
  ],
  usage: "<service/name> [--purge] [--yes]",
  args: {
    purge: { type: "boolean", description: "Permanently delete every version" },
    yes: { type: "boolean", alias: "y", description: "Do not ask for confirmation" },
  },
  run: async ({ args, data: ctx }) => {
    const path = requirePath(args._, "remove");
    const client = await ctx.client();
    const meta = await call((c) => c.getMetadata(path), client);
    if (!meta) throw new CliError(`error: ${path} not found`);
    if (!args.yes) {
      const question = args.purge
        ? `PERMANENTLY delete ${path} (v${meta.version}) and all versions? This cannot be undone. [y/N] `
        : `Remove ${path} (v${meta.version})? [y/N] `;
      if (!(await confirm(question))) throw new CliError("error: cancelled");
    }
    await call((c) => c.deleteSecret(path, { purge: args.purge === true }), client);
    ctx.log.info(`${args.purge ? "Purged" : "Removed"} ${path}`);
    return 0;
  },
});
