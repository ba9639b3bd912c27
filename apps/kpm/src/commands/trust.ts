// `kpm trust [dir]` and `kpm trust --list` (docs/trust.md): record the files a project brings
// (`<dir>/.kpm/…` and the default template resolved in <dir>) with the SHA-256 of their current
// content, so kpm uses them; or list what is recorded and whether it still matches.
import { statSync } from "node:fs";
import { isAbsolute, resolve } from "node:path";
import { expandHome } from "@kpm/template/core";
import { listTrusted, type TrustOutcome, trustDirectory } from "@kpm/trust";
import { defineKpmCommand } from "../cli/command.ts";
import { CliError } from "../cli/errors.ts";
import { writeStdout } from "../cli/io.ts";
import { toCliError } from "../cli/lib-errors.ts";
import type { KpmContext } from "../context.ts";
import { projectTrust, trustStorePath } from "../project-trust.ts";

/** How much of a hash --list and the ✓ lines show: enough to compare by eye. */
const HASH_PREFIX = 12;

export default defineKpmCommand({
  meta: { name: "trust", description: "Let kpm use a project's .kpm files (review them first)" },
  usage: "[dir] | --list",
  examples: [
    { command: "kpm trust", about: "trust this project's .kpm files after reviewing them" },
    { command: "kpm trust ~/src/app" },
    { command: "kpm trust --list", about: "what is trusted, and whether it changed since" },
  ],
  notes: [
    "Records every file under <dir>/.kpm/ (templates, secure-allowlist.yaml, config.yaml) and the",
    "default template in <dir> with the SHA-256 of its content; a file that changes is ignored",
    "again until you re-run kpm trust. <dir> defaults to this directory's project: the nearest",
    "directory with a .kpm/ from here up to the repository root (else the current directory).",
  ],
  args: {
    list: { type: "boolean", description: "List trusted files, their hash and whether they still match" },
  },
  run: async ({ args, data: ctx }) => {
    const store = trustStorePath(ctx.dirs.dataDir);
    if (args.list) {
      if (args._.length > 0) throw new CliError("kpm trust: --list takes no directory", 2);
      return printList(ctx, store);
    }
    if (args._.length > 1) throw new CliError("kpm trust: at most one directory", 2);
    const dir = projectDirArgument(ctx, args._[0]);
    const trust = projectTrust(ctx);
    const extraFiles = defaultTemplateIn(ctx, dir, (await ctx.config()).defaultTemplate);
    const outcome = storeCall(() =>
      trustDirectory(store, dir, { extraFiles, skip: (path) => trust.isUserFile(path) }),
    );
    return report(ctx, dir, outcome);
  },
});

/**
 * The directory argument, which must be one. Default: the project kpm uses from here (findProjectDir),
 * so `kpm trust` in a subdirectory trusts the files discovery and includes will read. A named
 * directory is taken as given: no walk.
 */
function projectDirArgument(ctx: KpmContext, value: string | undefined): string {
  const dir = value === undefined ? projectTrust(ctx).projectDir() : ctx.flagPath(value);
  let isDirectory = false;
  try {
    isDirectory = statSync(dir).isDirectory();
  } catch {
    // Missing or unreachable: reported as not a directory.
  }
  if (!isDirectory) throw new CliError(`kpm trust: ${dir} is not a directory`);
  return dir;
}

/** A relative default_template is resolved in the current directory, so in <dir> it is that project's file. */
function defaultTemplateIn(ctx: KpmContext, dir: string, value: string): string[] {
  const expanded = expandHome(value, ctx.dirs.home);
  return isAbsolute(expanded) ? [] : [resolve(dir, expanded)];
}

/** Store errors (corrupt, unsafe mode, unwritable) as their one line; nothing is overwritten. */
export function storeCall<T>(work: () => T): T {
  try {
    return work();
  } catch (error) {
    throw toCliError(error);
  }
}

function report(ctx: KpmContext, dir: string, outcome: TrustOutcome): number {
  for (const problem of outcome.problems) ctx.log.warn(`kpm: not trusted: ${problem}`);
  if (outcome.trusted.length === 0) {
    if (outcome.problems.length > 0) return 1;
    throw new CliError(`kpm trust: nothing to trust in ${dir} (no files under .kpm/, no default template)`);
  }
  for (const file of outcome.trusted) {
    ctx.log.info(`✓ trusted ${file.path} (sha256 ${file.hash.slice(0, HASH_PREFIX)})`);
  }
  return outcome.problems.length > 0 ? 1 : 0;
}

/** stdout, one line per record: `<hash prefix>  <ok|changed|missing|unreadable>  <path>`. */
async function printList(ctx: KpmContext, store: string): Promise<number> {
  const listing = storeCall(() => listTrusted(store));
  if (listing.length === 0) {
    ctx.log.info(`no trusted files (${store})`);
    return 0;
  }
  const lines = listing.map(
    (entry) => `${entry.hash.slice(0, HASH_PREFIX)}  ${entry.status.padEnd(10)}  ${entry.path}`,
  );
  await writeStdout(`${lines.join("\n")}\n`);
  return 0;
}
