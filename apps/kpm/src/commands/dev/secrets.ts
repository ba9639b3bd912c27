// `kpm dev secrets set|list|delete` (§15.2): write the dev store directly (credential namespaces).
import { deleteDevSecret, invalidFieldValue, listDevSecrets, setDevSecret } from "@kpm/agentkms-dev";
import { MiB, readStreamBounded } from "@kpm/bounded-read";
import { asSubcommand, defineKpmCommand } from "../../cli/command.ts";
import { CliError, UsageError } from "../../cli/errors.ts";
import { writeStdout } from "../../cli/io.ts";
import { asCli, devDir, dirArg } from "./shared.ts";

const set = defineKpmCommand({
  meta: {
    name: "set",
    description: "Store fields at a KV path (a single <field> reads its value from stdin)",
  },
  examples: [
    {
      command: 'printf %s "$TOKEN" | kpm dev secrets set generic/github token',
      about: "the value from stdin, never in argv",
    },
    { command: "kpm dev secrets set generic/app/config session_timeout=3600", about: "non-secret fields" },
  ],
  usage: "[--dir D] <path> <field>=<value>… | <field>",
  args: { ...dirArg },
  run: async ({ args, data: ctx }) => {
    const [path, ...pairs] = args._;
    if (!path || pairs.length === 0) {
      throw new UsageError(
        "kpm dev secrets set: usage: kpm dev secrets set <path> <field>=<value>… | <field>",
      );
    }
    const fields: Record<string, string> = {};
    if (pairs.length === 1 && !(pairs[0] as string).includes("=")) {
      const field = pairs[0] as string;
      fields[field] = await readStdinValue(field);
    } else {
      for (const pair of pairs) {
        const eq = pair.indexOf("=");
        if (eq <= 0)
          throw new CliError(`error: invalid field "${pair.split("=")[0]}": expected <field>=<value>`);
        fields[pair.slice(0, eq)] = pair.slice(eq + 1);
      }
    }
    try {
      const count = await setDevSecret(devDir(ctx, args.dir), path, fields);
      ctx.log.info(`✓ Stored ${path} (${count} fields)`);
    } catch (error) {
      throw asCli(error);
    }
    return 0;
  },
});

/**
 * The piped value, trailing newlines removed. Decoded strictly: Bun.stdin.text() would turn
 * invalid UTF-8 into U+FFFD and store a different secret without a word.
 */
/** stdin, capped like `kpm add` (`kpm dev secrets set p f < /dev/zero` fails at once), strict UTF-8. */
async function readStdinValue(field: string): Promise<string> {
  let bytes: Uint8Array;
  try {
    bytes = await readStreamBounded(Bun.stdin.stream(), MiB);
  } catch (error) {
    throw new CliError(`error: read stdin: ${(error as Error).message}`);
  }
  try {
    return new TextDecoder("utf-8", { fatal: true, ignoreBOM: true }).decode(bytes).replace(/\n+$/, "");
  } catch {
    throw asCli(invalidFieldValue(field, "is not valid UTF-8"));
  } finally {
    bytes.fill(0);
  }
}

const list = defineKpmCommand({
  meta: { name: "list", description: "List stored KV paths" },
  examples: [{ command: "kpm dev secrets list" }],
  usage: "[--dir D]",
  args: { ...dirArg },
  run: async ({ args, data: ctx }) => {
    let paths: string[];
    try {
      paths = listDevSecrets(devDir(ctx, args.dir));
    } catch (error) {
      throw asCli(error);
    }
    if (paths.length > 0) await writeStdout(`${paths.join("\n")}\n`);
    return 0;
  },
});

const remove = defineKpmCommand({
  meta: { name: "delete", description: "Delete a KV path" },
  examples: [{ command: "kpm dev secrets delete generic/github" }],
  usage: "[--dir D] <path>",
  args: { ...dirArg },
  run: async ({ args, data: ctx }) => {
    const path = args._[0];
    if (!path) throw new UsageError("kpm dev secrets delete: path required");
    try {
      await deleteDevSecret(devDir(ctx, args.dir), path);
    } catch (error) {
      throw asCli(error);
    }
    ctx.log.info(`✓ Deleted ${path}`);
    return 0;
  },
});

export default defineKpmCommand({
  meta: { name: "secrets", description: "Manage the dev store's credential paths" },
  examples: [
    { command: "kpm dev secrets set llm/openai api_key < key.txt" },
    { command: "kpm dev secrets list" },
  ],
  usage: "<set|list|delete> [flags]",
  subCommands: { set: asSubcommand(set), list: asSubcommand(list), delete: asSubcommand(remove) },
  run: () => {
    throw new UsageError("kpm dev secrets: subcommand required (set, list or delete)");
  },
});
