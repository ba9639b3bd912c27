// `kpm _listen --session <sid>` (hidden, §7.4): the decrypt listener process. Its start document
// (key or strict config) arrives on stdin only.
import { closeSync } from "node:fs";
import { runListener, type StrictResolver } from "@kpm/session";
import { defineKpmCommand } from "../cli/command.ts";
import { runtimeDirFor } from "../listener-client.ts";
import { hardenSelf } from "../process-hardening.ts";

export default defineKpmCommand({
  meta: { name: "_listen", description: "Internal: the session decrypt listener", hidden: true },
  args: { session: { type: "string", description: "Session id", valueHint: "sid" } },
  run: async ({ args, data: ctx }) => {
    // Before the start document (which may hold the session key) is read.
    hardenSelf(ctx.env, ctx.log);
    const sessionId = args.session;
    if (!sessionId) return 1;
    const { createClient, resolveOne } = await import("@kpm/agentkms-client");
    return runListener({
      sessionId,
      stdin: Bun.stdin.stream(),
      runtimeDir: runtimeDirFor(ctx.env),
      writeReady: async (line) => {
        await Bun.write(Bun.stdout, line);
        closeSync(1);
      },
      createStrictResolver: (config): StrictResolver => {
        const client = createClient({
          server: config.server,
          cert: config.clientCert,
          key: config.clientKey,
          ca: config.ca,
        });
        return {
          async resolve(ref) {
            const result = await resolveOne(client, {
              type: ref.Type,
              path: ref.Path,
              key: ref.Key === "" ? undefined : ref.Key,
              default: ref.Default ?? undefined,
            });
            return result.ok
              ? { ok: true, value: result.value }
              : { ok: false, denied: result.denied, message: result.error.message };
          },
        };
      },
    });
  },
});
