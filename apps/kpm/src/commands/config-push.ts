// `kpm config push [dir]` (§13): upload every `*.template` directly in <dir> (default
// <TemplatesDir>) to the registry as kpm/templates/<name>, content base64-encoded.
import { type Dirent, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { defineKpmCommand } from "../cli/command.ts";
import { CliError } from "../cli/errors.ts";
import { byCodePoint, plural } from "../cli/text.ts";
import { describeIoError } from "../config.ts";

const SUFFIX = ".template";

/** Regular files (not symlinks) directly in `dir` whose names end in `.template`, by name. */
function templateFiles(dir: string): string[] {
  let entries: Dirent[];
  try {
    entries = readdirSync(dir, { withFileTypes: true });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return [];
    throw new CliError(`error: read ${dir}: ${describeIoError(error)}`);
  }
  return entries
    .filter((entry) => entry.isFile() && entry.name.endsWith(SUFFIX))
    .map((entry) => entry.name)
    .sort(byCodePoint);
}

export default defineKpmCommand({
  meta: { name: "push", description: "Upload templates to AgentKMS" },
  examples: [
    { command: "kpm config push", about: "upload <TemplatesDir>/*.template" },
    { command: "kpm config push ./templates" },
  ],
  usage: "[dir]",
  run: async ({ args, data: ctx }) => {
    const client = await ctx.client();
    const dir = args._[0] ? ctx.flagPath(args._[0]) : ctx.dirs.templatesDir;
    ctx.log.info(`Pushing templates from ${dir}`);
    const files = templateFiles(dir);
    if (files.length === 0) {
      ctx.log.info(`  no templates found in ${dir}`);
      return 0;
    }
    let pushed = 0;
    let failed = 0;
    for (const file of files) {
      const name = file.slice(0, -SUFFIX.length);
      if (name === "") {
        ctx.log.info(`  warning: skipping ${file}: no template name before ${SUFFIX}`);
        continue;
      }
      const path = `kpm/templates/${name}`;
      let bytes: Buffer;
      try {
        bytes = readFileSync(join(dir, file));
      } catch (error) {
        failed += 1;
        ctx.log.info(`  warning: failed to push ${file}: read: ${describeIoError(error)}`);
        continue;
      }
      try {
        await client.writeSecret(path, { content: bytes.toString("base64"), filename: file });
        ctx.log.info(`  pushed ${file} → ${path}`);
        pushed += 1;
      } catch (error) {
        failed += 1;
        ctx.log.info(
          `  warning: failed to push ${file}: ${error instanceof Error ? error.message : String(error)}`,
        );
      }
    }
    ctx.log.info(`✓ ${plural(pushed, "template")} pushed to AgentKMS`);
    return failed > 0 ? 1 : 0;
  },
});
