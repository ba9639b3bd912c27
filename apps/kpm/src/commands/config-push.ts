// `kpm config push [dir]` (§13): upload every `*.template` directly in <dir> (default
// <TemplatesDir>) to the registry as kpm/templates/<name>, content base64-encoded.
import { type Dirent, readdirSync } from "node:fs";
import { join } from "node:path";
import { MiB, readFileBounded } from "@kpm/bounded-read";
import { describeFsError } from "@kpm/bounded-read/error";
import { defineKpmCommand } from "../cli/command.ts";
import { CliError } from "../cli/errors.ts";
import { failureText } from "../cli/lib-errors.ts";
import { byCodePoint, plural } from "../cli/text.ts";

const SUFFIX = ".template";
/** The template size limit (§5.1): a larger file could never be loaded as a template anyway. */
const MAX_PUSH_BYTES = MiB;

/** Regular files (not symlinks) directly in `dir` whose names end in `.template`, by name. */
function templateFiles(dir: string): string[] {
  let entries: Dirent[];
  try {
    entries = readdirSync(dir, { withFileTypes: true });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return [];
    throw new CliError(`error: read ${dir}: ${describeFsError(error)}`);
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
      let bytes: Uint8Array;
      try {
        bytes = readFileBounded(join(dir, file), MAX_PUSH_BYTES);
      } catch (error) {
        failed += 1;
        ctx.log.info(`  warning: failed to push ${file}: read: ${(error as Error).message}`);
        continue;
      }
      try {
        await client.writeSecret(path, {
          content: Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length).toString("base64"),
          filename: file,
        });
        ctx.log.info(`  pushed ${file} → ${path}`);
        pushed += 1;
      } catch (error) {
        failed += 1;
        ctx.log.info(`  warning: failed to push ${file}: ${failureText(error)}`);
      }
    }
    ctx.log.info(`✓ ${plural(pushed, "template")} pushed to AgentKMS`);
    return failed > 0 ? 1 : 0;
  },
});
