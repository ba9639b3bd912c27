// `kpm env` / `kpm export` (§8.1): resolve a template and print env lines — ciphertext plus a
// session listener by default, strict references with --strict, plaintext with --plaintext.
import type { TemplateEntry } from "@kpm/template/core";
import { defineKpmCommand } from "../cli/command.ts";
import { CliError, UsageError } from "../cli/errors.ts";
import { refuseExclusiveFlags } from "../cli/exclusive-flags.ts";
import { writeStdout } from "../cli/io.ts";
import { failureLine } from "../cli/lib-errors.ts";
import { plural } from "../cli/text.ts";
import type { KpmContext } from "../context.ts";
import {
  OUTPUT_FORMATS,
  type OutputFormat,
  type OutputLine,
  parseFormat,
  renderOutput,
} from "../env-output.ts";
import { checkListenerWanted, type ListenerFlags, listenerOwnership } from "../env-ownership.ts";
import { chooseTemplate, isKmsEntry, loadEntries } from "../template-load.ts";
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
  listener: {
    type: "boolean",
    description: "Start a listener for dotenv/json to a file or pipe (stops when this shell exits)",
  },
  "shell-pid": {
    type: "string",
    description: "The shell whose exit stops the listener (default: the shell running kpm)",
    valueHint: "pid",
  },
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
    { command: 'eval "$(kpm env --unload)"', about: "stop this shell's listeners" },
  ],
  usage:
    "[--from <template>] [--output dotenv|shell|json] [--plaintext | --strict] [--listener] [--shell-pid <pid>] [--unload]",
  args: envArgs,
  run: async ({ args, data: ctx }) => {
    const command = ctx.commandName.split(" ")[0] ?? "env";
    if (args.secure)
      throw new UsageError(
        `kpm ${command}: --secure is only supported by kpm run`,
        "Use: kpm run --secure -- <tool>",
      );
    refuseExclusiveFlags(args, ["strict/plaintext"]);
    const format = parseFormat(args.output);
    if (!format)
      throw new UsageError(`kpm ${command}: unknown --output "${args.output}" (use ${OUTPUT_FORMATS})`);
    const flags: ListenerFlags = {
      command,
      format,
      listener: args.listener === true,
      shellPid: args["shell-pid"],
    };
    refuseExclusiveFlags(args, ["listener/plaintext"]);
    if (args.unload) return unloadSessions(ctx, flags);
    const ownership = args.plaintext ? null : listenerOwnership(flags);

    const config = await ctx.config();
    const template = chooseTemplate(
      ctx,
      args.from ?? config.defaultTemplate,
      args.from !== undefined,
      "skip",
    );
    const entries = await loadEntries(ctx, template, "skip");
    const kms = entries.filter(isKmsEntry);
    if (kms.length === 0) {
      ctx.log.info("✓ Resolved 0 secrets from AgentKMS");
      await writeStdout(renderOutput(format, plainLines(entries), false));
      return 0;
    }
    if (ownership !== null) checkListenerWanted(flags);
    if (!args.plaintext && process.platform === "win32") throw new CliError(WINDOWS_LISTENER_ERROR);
    // --strict never goes through the agent: every decrypt stays one policy-checked request.
    const client = await ctx.client({ authenticateEarly: true, viaAgent: !args.strict });

    if (ownership === null) return printPlaintext(ctx, format, entries, kms.length, client);
    if (args.strict) {
      try {
        await client.authenticate();
      } catch (error) {
        throw new CliError(failureLine(error));
      }
      const { startStrictSession } = await import("../sessions.ts");
      const session = await startStrictSession(
        ctx,
        kms.map((entry) => entry.ref),
        ownership,
      );
      const lines = mergeValues(entries, session.blobs);
      ctx.log.info(`✓ Prepared ${kms.length} strict references (values are fetched per decrypt)`);
      ctx.log.info(
        `✓ Strict mode: per-decrypt mTLS round-trip (session: ${session.sessionId}, no session TTL, idle exit after ${config.strictIdleTimeout}s)`,
      );
      ctx.log.info(`✓ Decrypt listener: ${session.socket}`);
      await writeStdout(renderOutput(format, withSession(lines, session, template.path), false));
      return 0;
    }

    const values = await resolveValues(client, kms, false);
    const { startDefaultSession } = await import("../sessions.ts");
    const session = await startDefaultSession(ctx, values, ownership);
    values.fill("");
    const lines = mergeValues(entries, session.blobs);
    ctx.log.info(`✓ Resolved ${plural(kms.length, "secret")} from AgentKMS`);
    ctx.log.info(
      `✓ Encrypted values (AES-256-GCM, session: ${session.sessionId}, TTL: ${config.sessionKeyTtl}s)`,
    );
    ctx.log.info(`✓ Decrypt listener: ${session.socket}`);
    await writeStdout(renderOutput(format, withSession(lines, session, template.path), false));
    return 0;
  },
});

type KmsEntry = Extract<TemplateEntry, { kind: "kms" }>;
type Client = Awaited<ReturnType<KpmContext["client"]>>;

/** Every KMS value, or one error line per failing entry (all or nothing, §8.1 step 4). */
async function resolveValues(client: Client, kms: KmsEntry[], plaintext: boolean): Promise<string[]> {
  const [{ resolveBatch }, { canPassInEnvironment, UNPASSABLE_VALUE }] = await Promise.all([
    import("@kpm/agentkms-client/resolve"),
    import("@kpm/agentkms-client/secret-value"),
  ]);
  const results = await resolveBatch(
    client,
    kms.map((entry) => entry.ref),
  );
  const failures = kms.flatMap((entry, index) => {
    const result = results[index];
    if (result && !result.ok) return [`error: resolve ${entry.key}: ${result.error.message}`];
    // Plaintext lines become the shell's variables: a value no environment holds unchanged
    // (a NUL byte the shell would drop, a string past execve's limit) is refused, not mangled.
    if (plaintext && result?.ok && !canPassInEnvironment(entry.key, result.value))
      return [`error: resolve ${entry.key}: ${UNPASSABLE_VALUE}`];
    return [];
  });
  if (failures.length > 0) throw new CliError(failures);
  return results.map((result) => (result.ok ? result.value : ""));
}

async function printPlaintext(
  ctx: KpmContext,
  format: OutputFormat,
  entries: TemplateEntry[],
  kmsCount: number,
  client: Client,
): Promise<number> {
  const values = await resolveValues(client, entries.filter(isKmsEntry), true);
  const lines = mergeValues(entries, values);
  ctx.log.info(`✓ Resolved ${plural(kmsCount, "secret")} from AgentKMS`);
  ctx.log.info("✓ Plaintext output (--plaintext flag set)");
  await writeStdout(renderOutput(format, lines, true));
  return 0;
}

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

/** KPM_TEMPLATE names the template loaded, so a later reload hint can name it too. */
function withSession(
  lines: OutputLine[],
  session: { sessionId: string; socket: string },
  templatePath: string,
): OutputLine[] {
  return [
    ...lines,
    { key: "KPM_SESSION", value: session.sessionId },
    { key: "KPM_DECRYPT_SOCK", value: session.socket },
    { key: "KPM_TEMPLATE", value: templatePath },
  ];
}
