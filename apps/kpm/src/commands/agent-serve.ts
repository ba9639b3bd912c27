// `kpm _agent` (hidden): the per-user agent process that `kpm agent start` and the read commands
// start on demand (docs/agent.md). It holds tokens and vended values: hardened like a listener.
import { closeSync } from "node:fs";
import { fileStamp, type ReadsFor } from "@kpm/agent";
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
      get: (request, reads) => fastGetValue(request.input, request.env, reads),
    });
  },
});

type Reads = ReturnType<ReadsFor>;

/** The reads for a caller's directory variables, and the stamp of the config file they came from. */
interface Located {
  configPath: string;
  stamp: string;
  client: Reads;
}

/** At most this many callers' locations are remembered (each is a few strings). */
const MAX_LOCATED = 64;
const located = new Map<string, Located>();

/**
 * The fast path's answer: the caller's config found as `kpm get` finds it (KpmContext from the
 * caller's directory variables, no flags), then get-value.ts's rule over the agent's cached reads.
 * What a caller's variables located is kept while its config file's stamp (inode, size, mtime)
 * holds, so a repeated `kpm get` parses no YAML (measured: ~0.3 ms of each answer).
 */
async function fastGetValue(input: string, env: Record<string, string>, reads: ReadsFor): Promise<string> {
  const { printableFor, referenceText } = await import("../get-value.ts");
  const client = await locatedReads(env, reads);
  return printableFor(input, referenceText(input), async () => client);
}

async function locatedReads(env: Record<string, string>, reads: ReadsFor): Promise<Reads> {
  const key = JSON.stringify(env);
  const known = located.get(key);
  if (known !== undefined && fileStamp(known.configPath) === known.stamp) return known.client;
  located.delete(key);
  const [{ KpmContext }, { createLogger }, { agentOffReason }] = await Promise.all([
    import("../context.ts"),
    import("../cli/logger.ts"),
    import("../agent-use.ts"),
  ]);
  const ctx = new KpmContext("get", { verbose: false }, env, "/", createLogger(false, true));
  await ctx.prepare();
  // Stamped before it is read: a change made while reading shows as a different stamp next time.
  const stamp = fileStamp(ctx.configPath);
  const config = await ctx.config();
  const off = agentOffReason(env, config);
  if (off !== null) throw new Error(`the agent is off for this caller (${off})`);
  const client = reads(await ctx.clientSettings(), ctx.configPath);
  if (located.size >= MAX_LOCATED) located.clear();
  located.set(key, { configPath: ctx.configPath, stamp, client });
  return client;
}
