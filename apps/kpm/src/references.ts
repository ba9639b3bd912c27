// `kpm list --all`: every reference a template can use, in `${kms:…}` syntax. Registry secrets
// come from the metadata list; credential-store paths (llm/…, kv/…) have no listing route in
// AgentKMS, so they are listed only when the configured server is the local kpm dev server whose
// store this user can read. Values are never read into the output.
import type { SecretMetadata } from "@kpm/agentkms-client";
import { listDevReferences, resolveDevDir } from "@kpm/agentkms-dev";
import type { KpmContext } from "./context.ts";
import { runningServer } from "./dev-control.ts";

export async function templateReferences(ctx: KpmContext, registry: SecretMetadata[]): Promise<string[]> {
  const references = registry.filter((meta) => !meta.deleted).map((meta) => meta.path);
  const devDir = await localDevStore(ctx);
  if (devDir === null) {
    ctx.log.warn(
      "kpm: llm/… and kv/… references are not listed: AgentKMS has no route that lists them (only a local kpm dev server's store can be read)",
    );
  } else {
    references.push(...listDevReferences(devDir));
  }
  return [...new Set(references)].sort().map((reference) => `\${kms:${reference}}`);
}

/** The dev dir whose running server is the configured one (same host:port), or null. */
async function localDevStore(ctx: KpmContext): Promise<string | null> {
  const { server } = await ctx.partialClientSettings();
  if (!server) return null;
  let configured: string;
  try {
    configured = new URL(server).host;
  } catch {
    return null;
  }
  const dir = resolveDevDir({ env: ctx.env, home: ctx.dirs.home });
  const state = runningServer(dir);
  return state !== null && state.addr === configured ? dir : null;
}
