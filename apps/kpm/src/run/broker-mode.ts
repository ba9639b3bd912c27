// Brokered variables of `kpm run --secure` (docs/broker.md): the tool gets a placeholder, the
// proxy and CA variables; kpm runs the proxy for the tool's lifetime and fetches the real value
// only when the tool first sends the placeholder to a declared host (each time under --strict).
import type { AuditLog } from "@kpm/allowlist";
import type { TemplateEntry } from "@kpm/template/core";
import { formatReference } from "@kpm/template/core";
import { CliError } from "../cli/errors.ts";
import type { KpmContext } from "../context.ts";

type KmsEntry = Extract<TemplateEntry, { kind: "kms" }>;

export interface RunBroker {
  /** Placeholders and proxy/CA variables to set in the tool's environment. */
  env: Record<string, string>;
  close(): Promise<void>;
}

export async function startRunBroker(
  ctx: KpmContext,
  run: { tool: string; strict: boolean; audit: AuditLog | null },
  brokered: Array<{ entry: KmsEntry; hosts: string[] }>,
): Promise<RunBroker> {
  const config = await ctx.config();
  let upstreamCa: string | undefined;
  if (config.broker?.upstreamCa) {
    try {
      upstreamCa = await Bun.file(config.broker.upstreamCa).text();
    } catch {
      throw new CliError(`kpm: broker: cannot read upstream_ca ${config.broker.upstreamCa}`);
    }
  }
  const { startBroker } = await import("@kpm/broker");
  const { swapRecord } = await import("@kpm/allowlist");
  const mode = run.strict ? "strict" : "default";
  // Built now, while kpm can still read its key files: the tool's confinement may cover kpm's own
  // spawning thread (spawn.ts), and no value is fetched before the tool uses the placeholder.
  const client = await ctx.client();
  const { resolveOne } = await import("@kpm/agentkms-client");
  const sink = run.audit?.openSink();
  const fetchValue = async (entry: KmsEntry): Promise<string> => {
    const result = await resolveOne(client, entry.ref);
    if (!result.ok) throw result.error;
    return result.value;
  };
  const broker = await startBroker({
    secrets: brokered.map(({ entry, hosts }) => {
      // Default mode fetches once, on first use; --strict is one AgentKMS round trip per swap.
      let cached: Promise<string> | undefined;
      return {
        variable: entry.key,
        ref: formatReference(entry.ref),
        hosts,
        resolve: () => {
          if (run.strict) return fetchValue(entry);
          cached ??= fetchValue(entry).catch((error) => {
            cached = undefined;
            throw error;
          });
          return cached;
        },
      };
    }),
    resolve: config.broker?.resolve,
    upstreamCa,
    onSwap: (swap) => sink?.append(swapRecord(swap, run.tool, mode)),
    onError: (variable, error) =>
      ctx.log.warn(`kpm: broker: cannot resolve ${variable}: ${(error as Error).message ?? "failed"}`),
  });
  const env: Record<string, string> = { ...broker.env };
  for (const { entry, hosts } of brokered) {
    env[entry.key] = broker.placeholders.get(entry.key) as string;
    ctx.log.debug(`✓ Brokered ${entry.key} (${formatReference(entry.ref)}) → ${hosts.join(", ")}`);
  }
  ctx.log.debug(
    `✓ Broker proxy on 127.0.0.1:${new URL(broker.env.HTTPS_PROXY as string).port}, CA bundle ${broker.env.SSL_CERT_FILE}`,
  );
  return {
    env,
    close: async () => {
      try {
        await broker.close();
      } finally {
        sink?.close();
      }
    },
  };
}
