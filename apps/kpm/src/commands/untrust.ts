// `kpm untrust [dir]` (docs/trust.md): forget every trust record at or below <dir> (default: the
// project of the current directory, as `kpm trust` picks it), so kpm ignores those project files
// again. <dir> may no longer exist.
import { untrustDirectory } from "@kpm/trust";
import { defineKpmCommand } from "../cli/command.ts";
import { CliError } from "../cli/errors.ts";
import { projectTrust, trustStorePath } from "../project-trust.ts";
import { storeCall } from "./trust.ts";

export default defineKpmCommand({
  meta: { name: "untrust", description: "Stop using a project's .kpm files" },
  examples: [
    { command: "kpm untrust", about: "forget the trusted files of this directory's project" },
    { command: "kpm untrust ~/src/app" },
  ],
  usage: "[dir]",
  run: ({ args, data: ctx }) => {
    if (args._.length > 1) throw new CliError("kpm untrust: at most one directory", 2);
    const value = args._[0];
    const dir = value === undefined ? projectTrust(ctx).projectDir() : ctx.flagPath(value);
    const removed = storeCall(() => untrustDirectory(trustStorePath(ctx.dirs.dataDir), dir));
    if (removed.length === 0) ctx.log.info(`no trusted files under ${dir}`);
    for (const path of removed) ctx.log.info(`✓ untrusted ${path}`);
    return 0;
  },
});
