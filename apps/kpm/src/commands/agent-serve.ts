// `kpm _agent` (hidden): the per-user agent process that `kpm agent start` and the read commands
// start on demand (docs/agent.md). It holds tokens and vended values: hardened like a listener.
import { closeSync } from "node:fs";
import { defineKpmCommand } from "../cli/command.ts";
import { runtimeDirFor } from "../listener-client.ts";
import { hardenSelf } from "../process-hardening.ts";

const seconds = (value: unknown, fallback: number): number => {
  const parsed = Number(value);
  return Number.isSafeInteger(parsed) && parsed > 0 ? parsed : fallback;
};

export default defineKpmCommand({
  meta: { name: "_agent", description: "Internal: the per-user agent", hidden: true },
  args: {
    "idle-timeout": { type: "string", description: "Seconds without requests before exiting" },
    "cache-ttl": { type: "string", description: "Seconds a vended value is kept" },
  },
  run: async ({ args, data: ctx }) => {
    hardenSelf(ctx.env, ctx.log);
    const [{ runAgent }, { createClient }, { version }] = await Promise.all([
      import("@kpm/agent"),
      import("@kpm/agentkms-client"),
      import("../version.ts"),
    ]);
    const { DEFAULT_AGENT_CACHE_TTL, DEFAULT_AGENT_IDLE_TIMEOUT } = await import("../config-flat.ts");
    return runAgent({
      runtimeDir: runtimeDirFor(ctx.env),
      idleTimeoutSeconds: seconds(args["idle-timeout"], DEFAULT_AGENT_IDLE_TIMEOUT),
      cacheTtlSeconds: seconds(args["cache-ttl"], DEFAULT_AGENT_CACHE_TTL),
      watch: [ctx.configPath],
      createClient: (settings) => createClient({ ...settings, userAgent: `kpm/${version}` }),
      writeReady: async (line) => {
        await Bun.write(Bun.stdout, line);
        closeSync(1);
      },
      debug: ctx.env.KPM_DEBUG === "1" ? (line) => ctx.log.debug(line) : undefined,
    });
  },
});
