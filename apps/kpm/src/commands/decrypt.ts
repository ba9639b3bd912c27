// `kpm decrypt [--env VAR | <blob>]` (§8.3): one blob through its session's listener.

import { checkSocketPath, findListenerSocket, requestDecrypt, SessionError } from "@kpm/session/client";
import { inspectBlob } from "@kpm/strict-codec";
import { defineKpmCommand } from "../cli/command.ts";
import { CliError, UsageError } from "../cli/errors.ts";
import { writeValue } from "../cli/io.ts";
import { failureLine, failureText, libErrorText } from "../cli/lib-errors.ts";
import { runtimeDirFor } from "../listener-client.ts";
import { WINDOWS_LISTENER_ERROR } from "../windows-listener.ts";

export default defineKpmCommand({
  meta: { name: "decrypt", description: "Decrypt one ENC[...] value via the session listener" },
  examples: [
    { command: "kpm decrypt --env ANTHROPIC_API_KEY", about: "the blob in this shell's variable" },
    { command: 'kpm decrypt "$OPENAI_API_KEY"' },
  ],
  usage: "[--env VAR | <blob>]",
  args: {
    env: { type: "string", description: "Read the blob from this environment variable", valueHint: "VAR" },
  },
  run: async ({ args, data: ctx }) => {
    let blob: string | undefined;
    if (args.env !== undefined) {
      blob = ctx.env[args.env];
      if (!blob) throw new CliError(`kpm decrypt: environment variable ${args.env} is not set`);
    } else {
      blob = args._[0];
    }
    if (!blob) throw new UsageError("kpm decrypt: provide a ciphertext blob or --env VAR_NAME");
    if (process.platform === "win32") throw new CliError(WINDOWS_LISTENER_ERROR);

    const inspection = inspectBlob(blob);
    if (!inspection) {
      // The value itself is never echoed: a pasted plaintext secret must not land in a log.
      const what = args.env !== undefined ? `$${args.env}` : "the argument";
      throw new CliError([
        `kpm decrypt: ${what} is not a kpm blob (expected ENC[kpm:…] or ENC[kpm-strict:…])`,
        "Run 'kpm show' to list the kpm-managed variables of this shell.",
      ]);
    }
    const socket = inspection.ok
      ? findListenerSocket(inspection.sessionId, ctx.env, () => runtimeDirFor(ctx.env))
      : (ctx.env.KPM_DECRYPT_SOCK ?? null);
    if (!socket) throw new CliError("error: KPM_DECRYPT_SOCK not set (not running under kpm run?)");
    try {
      checkSocketPath(socket);
    } catch (error) {
      if (!(error instanceof SessionError) || error.code !== "no_listener") {
        throw new CliError(failureLine(error));
      }
    }
    let result: Awaited<ReturnType<typeof requestDecrypt>>;
    try {
      result = await requestDecrypt(socket, blob);
    } catch (error) {
      throw new CliError(
        libErrorText(error, "decrypt_request") ?? `error connecting to decrypt socket: ${failureText(error)}`,
      );
    }
    if (!result.ok) throw new CliError(`decrypt error: ${result.error}`);
    await writeValue(result.plaintext);
    return 0;
  },
});
