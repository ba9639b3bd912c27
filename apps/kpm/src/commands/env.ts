// `kpm env` / `kpm export` (§8.1): resolve a template and print env lines — ciphertext plus a
// session listener by default, strict references with --strict, plaintext with --plaintext.
import type { TemplateEntry } from "@kpm/template/core";
import { defineKpmCommand } from "../cli/command.ts";
import { CliError, UsageError } from "../cli/errors.ts";
import { writeStdout } from "../cli/io.ts";
import { OUTPUT_FORMATS, type OutputLine, parseFormat, renderOutput } from "../env-output.ts";
import { isKmsEntry, loadEntries, templatePath } from "../template-load.ts";
import { unloadSessions } from "../unload.ts";
import { WINDOWS_LISTENER_ERROR } from "../windows-listener.ts";

export const envArgs = {
  from: { type: "string", description: "Template file (default: default_template)", valueHint: "path" },
  //blog:part-2
  output: { type: "string", description: "Output format: dotenv, shell or json", valueHint: "format" },
  //blog:part-2
  plaintext: { type: "boolean", description: "Print plaintext values (no session)" },
  //blog:part-2
  strict: { type: "boolean", description: "Strict references: every decrypt is an AgentKMS round trip" },
  unload: { type: "boolean", description: "Stop this shell's session listeners and print unset lines" },
  secure: { type: "boolean", description: "Not supported here (kpm run --secure)" },
  quiet: { type: "boolean", description: "Print errors only, no ✓ status lines (the shell-init hook)" },
} as const;

export { WINDOWS_LISTENER_ERROR } from "../windows-listener.ts";

//blog:part-2
export default defineKpmCommand({
  meta: { name: "env", description: "Print env lines for a template (alias: export)" },
  examples: [
    {
      command: 'eval "$(kpm env --from ~/.config/kpm/templates/shell-env.template --output shell)"',
      about: "ciphertext + listener",
    },
    { command: "kpm env --from .env.template --plaintext > .env", about: "plaintext dotenv file" },
    { command: 'eval "$(kpm env --unload --output shell)"', about: "stop this shell's listeners" },
  ],
  usage: "[--from <template>] [--output dotenv|shell|json] [--plaintext | --strict] [--unload]",
  args: envArgs,
  run: async ({ args, data: ctx }) => {
    const command = ctx.commandName.split(" ")[0];
    if (args.secure)
      throw new UsageError(
        `kpm ${command}: --secure is only supported by kpm run`,
        "Use: kpm run --secure -- <tool>",
      );
    if (args.strict && args.plaintext) {
      throw new UsageError(
        "kpm: --strict and --plaintext are mutually exclusive: cannot use both flags together",
      );
    }
    const format = parseFormat(args.output);
    if (!format)
      throw new UsageError(`kpm ${command}: unknown --output "${args.output}" (use ${OUTPUT_FORMATS})`);
    if (args.unload) return unloadSessions(ctx, args.output !== undefined && format === "shell");

    const config = await ctx.config();
    const path = templatePath(ctx, args.from ?? config.defaultTemplate);
    const entries = await loadEntries(ctx, path);
    const kms = entries.filter(isKmsEntry);
    if (kms.length === 0) {
      ctx.log.info("✓ Resolved 0 secrets from AgentKMS");
      await writeStdout(renderOutput(format, plainLines(entries), false));
      return 0;
    }
    if (!args.plaintext && process.platform === "win32") throw new CliError(WINDOWS_LISTENER_ERROR);
    const client = await ctx.client({ authenticateEarly: true });

    if (args.strict) {
      try {
        await client.authenticate();
      } catch (error) {
        throw new CliError(`error: ${(error as Error).message}`);
      }
      const { startStrictSession } = await import("../sessions.ts");
      const session = await startStrictSession(
        ctx,
        kms.map((entry) => entry.ref),
      );
      const lines = mergeValues(entries, session.blobs);
      ctx.log.info(`✓ Prepared ${kms.length} strict references (values are fetched per decrypt)`);
      ctx.log.info(
        `✓ Strict mode: per-decrypt mTLS round-trip (session: ${session.sessionId}, no session TTL, idle exit after ${config.strictIdleTimeout}s)`,
      );
      ctx.log.info(`✓ Decrypt listener: ${session.socket}`);
      await writeStdout(renderOutput(format, withSession(lines, session), false));
      return 0;
    }

    const { resolveBatch } = await import("@kpm/agentkms-client");
    const results = await resolveBatch(
      client,
      kms.map((entry) => entry.ref),
    );
    const failures = kms.flatMap((entry, index) => {
      const result = results[index];
      return result && !result.ok ? [`error: resolve ${entry.key}: ${result.error.message}`] : [];
    });
    if (failures.length > 0) throw new CliError(failures);
    const values = results.map((result) => (result.ok ? result.value : ""));

    if (args.plaintext) {
      const lines = mergeValues(entries, values);
      ctx.log.info(`✓ Resolved ${kms.length} secrets from AgentKMS`);
      ctx.log.info("✓ Plaintext output (--plaintext flag set)");
      await writeStdout(renderOutput(format, lines, true));
      return 0;
    }

    const { startDefaultSession } = await import("../sessions.ts");
    const session = await startDefaultSession(ctx, values);
    values.fill("");
    const lines = mergeValues(entries, session.blobs);
    ctx.log.info(`✓ Resolved ${kms.length} secrets from AgentKMS`);
    ctx.log.info(
      `✓ Encrypted values (AES-256-GCM, session: ${session.sessionId}, TTL: ${config.sessionKeyTtl}s)`,
    );
    ctx.log.info(`✓ Decrypt listener: ${session.socket}`);
    await writeStdout(renderOutput(format, withSession(lines, session), false));
    return 0;
  },
});

function plain(entry: TemplateEntry): OutputLine {
  return { key: entry.key, value: entry.kind === "plain" ? entry.value : "" };
}

function plainLines(entries: TemplateEntry[]): OutputLine[] {
  return entries.map(plain);
}

/** Template order, with the n-th KMS entry taking the n-th value. */
function mergeValues(entries: TemplateEntry[], kmsValues: readonly string[]): OutputLine[] {
  let next = 0;
  return entries.map((entry) =>
    entry.kind === "kms" ? { key: entry.key, value: kmsValues[next++] ?? "" } : plain(entry),
  );
}

function withSession(lines: OutputLine[], session: { sessionId: string; socket: string }): OutputLine[] {
  return [
    ...lines,
    { key: "KPM_SESSION", value: session.sessionId },
    { key: "KPM_DECRYPT_SOCK", value: session.socket },
  ];
}
