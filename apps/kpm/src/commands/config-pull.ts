// `kpm config pull [dir] [--force]` (§13, §18.20): download kpm/templates/<name> entries into
// <dir> (default <TemplatesDir>). Server-supplied file names must already be plain base names:
// anything else is refused, never sanitised, and each file lands by atomic rename.

import { randomBytes } from "node:crypto";
import { chmodSync, lstatSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { AgentKmsClient } from "@kpm/agentkms-client";
import { describeFsError } from "@kpm/bounded-read/error";
import { hasControlCharacter } from "@kpm/path-rules";
import { defineKpmCommand } from "../cli/command.ts";
import { CliError } from "../cli/errors.ts";
import { failureText } from "../cli/lib-errors.ts";
import { byCodePoint, plural } from "../cli/text.ts";
import { ensureDir } from "../quickstart/files.ts";
import { call } from "./_shared.ts";

const PREFIX = "kpm/templates/";
const SUFFIX = ".template";
const STANDARD_BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/** The file name to write for a server-supplied `filename`, or null when it is not a plain base name. */
export function safeTemplateFileName(filename: string | undefined, name: string): string | null {
  const given = filename && filename.length > 0 ? filename : `${name}${SUFFIX}`;
  if (given.includes("/") || given.includes("\\") || hasControlCharacter(given)) return null;
  if (given === "." || given === "..") return null;
  const file = given.endsWith(SUFFIX) ? given : `${given}${SUFFIX}`;
  return file === SUFFIX ? null : file;
}

/** Standard base64 (with padding) decoded, or null. Buffer.from alone accepts anything. */
export function decodeStandardBase64(content: string | undefined): Buffer | null {
  if (content === undefined || !STANDARD_BASE64.test(content)) return null;
  return Buffer.from(content, "base64");
}

type Outcome = "pulled" | "kept" | "skipped";

async function pullOne(
  client: AgentKmsClient,
  dir: string,
  name: string,
  force: boolean,
  say: (line: string) => void,
): Promise<Outcome> {
  const path = `${PREFIX}${name}`;
  let fields: Record<string, string>;
  try {
    fields = await client.fetchRegistrySecret(path);
  } catch (error) {
    say(`  warning: skipping ${path}: ${failureText(error)}`);
    return "skipped";
  }
  const bytes = decodeStandardBase64(fields.content);
  if (!bytes) {
    say(`  warning: skipping ${path}: missing or invalid content`);
    return "skipped";
  }
  const file = safeTemplateFileName(fields.filename, name);
  const refuse = (): Outcome => {
    say(`  warning: refusing unsafe filename ${JSON.stringify(fields.filename ?? file)} for ${path}`);
    return "skipped";
  };
  if (file === null) return refuse();
  const target = join(dir, file);
  const existing = lstatSync(target, { throwIfNoEntry: false });
  if (existing && !existing.isFile()) return refuse();
  if (existing && !force) {
    say(`  kept existing ${file} (use --force to overwrite)`);
    return "kept";
  }
  const temporary = join(dir, `.${file}.${randomBytes(6).toString("hex")}.tmp`);
  try {
    writeFileSync(temporary, bytes, { mode: 0o644, flag: "wx" });
    chmodSync(temporary, 0o644);
    // rename replaces a symlink planted after the check rather than following it.
    renameSync(temporary, target);
  } catch (error) {
    rmSync(temporary, { force: true });
    say(`  warning: skipping ${path}: write ${file}: ${describeFsError(error)}`);
    return "skipped";
  }
  say(`  pulled ${file}`);
  return "pulled";
}

export default defineKpmCommand({
  meta: { name: "pull", description: "Download templates from AgentKMS" },
  examples: [
    { command: "kpm config pull" },
    { command: "kpm config pull --force ./templates", about: "overwrite existing files" },
  ],
  usage: "[dir] [--force]",
  args: {
    force: { type: "boolean", description: "Overwrite existing template files" },
  },
  run: async ({ args, data: ctx }) => {
    const client = await ctx.client();
    const dir = args._[0] ? ctx.flagPath(args._[0]) : ctx.dirs.templatesDir;
    const say = (line: string) => ctx.log.info(line);
    say(`Pulling templates to ${dir}`);
    try {
      ensureDir(dir, 0o755);
    } catch (error) {
      throw new CliError(`error: create ${dir}: ${describeFsError(error)}`);
    }
    const entries = await call((c) => c.listMetadata(), client);
    const names = entries
      .filter((meta) => !meta.deleted && meta.path.startsWith(PREFIX))
      .map((meta) => meta.path.slice(PREFIX.length))
      .filter((name) => name.length > 0 && !name.includes("/"))
      .sort(byCodePoint);
    if (names.length === 0) {
      say("  no templates found in AgentKMS (push some first with: kpm config push)");
      return 0;
    }
    let pulled = 0;
    let skipped = 0;
    for (const name of names) {
      const outcome = await pullOne(client, dir, name, args.force === true, say);
      if (outcome === "pulled") pulled += 1;
      if (outcome === "skipped") skipped += 1;
    }
    say(`✓ ${plural(pulled, "template")} pulled from AgentKMS`);
    return skipped > 0 ? 1 : 0;
  },
});
