// `kpm dev enroll` (§15.2): create the dev PKI, add a client, or renew certificates.
import { DEFAULT_CLIENT_CN, enroll, formatDate, renew } from "@kpm/agentkms-dev";
import { defineKpmCommand } from "../../cli/command.ts";
import { UsageError } from "../../cli/errors.ts";
import { asCli, devDir, dirArg } from "./shared.ts";

export default defineKpmCommand({
  meta: { name: "enroll", description: "Create the dev PKI (CA, server and client certificates)" },
  examples: [
    { command: "kpm dev enroll" },
    { command: "kpm dev enroll --client-cn ci-bot --ou ci", about: "another client identity" },
    { command: "kpm dev enroll --renew", about: "re-issue certificates, keep keys" },
  ],
  usage: "[--dir D] [--client-cn CN] [--ou OU] [--team O] [--force | --renew]",
  args: {
    ...dirArg,
    "client-cn": {
      type: "string",
      description: `Client certificate CN (default ${DEFAULT_CLIENT_CN})`,
      valueHint: "cn",
    },
    ou: {
      type: "string",
      description: "First OU of the client certificate (decides the role)",
      valueHint: "ou",
    },
    team: { type: "string", description: "O of the client certificate (the team)", valueHint: "team" },
    force: { type: "boolean", description: "Re-create everything (existing secrets become unreadable)" },
    renew: { type: "boolean", description: "Re-issue every certificate from ca.key, keeping the keys" },
  },
  run: async ({ args, data: ctx }) => {
    const dir = devDir(ctx, args.dir);
    // Renew keeps every key and --force replaces them: together they have no meaning (§3.6: exit 1).
    if (args.renew && args.force) throw new UsageError("kpm: --force and --renew are mutually exclusive");
    try {
      if (args.renew) {
        const { count, validUntil } = await renew(dir);
        ctx.log.info(`✓ Renewed ${count} certificates in ${dir} (valid until ${formatDate(validUntil)})`);
        return 0;
      }
      const result = await enroll(dir, {
        clientCn: args["client-cn"],
        ou: args.ou,
        team: args.team,
        force: args.force === true,
      });
      if (result.warning) ctx.log.warn(`warning: ${result.warning}`);
    } catch (error) {
      throw asCli(error);
    }
    ctx.log.info(`✓ PKI written to ${dir}`);
    return 0;
  },
});
