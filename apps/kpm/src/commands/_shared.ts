// Argument fragments and helpers shared by the registry commands.
import type { AgentKmsClient, SecretMetadata } from "@kpm/agentkms-client";
import type { ArgsDef } from "citty";
import { UsageError } from "../cli/errors.ts";
import { toCliError } from "../cli/lib-errors.ts";

export const jsonArg = {
  json: { type: "boolean", description: "Print JSON" },
} as const satisfies ArgsDef;

/** The JSON shape of `list --json` and `describe --json` (§11.2): optional fields omitted when empty. */
export function metadataJson(meta: SecretMetadata): Record<string, unknown> {
  const out: Record<string, unknown> = { path: meta.path, service: meta.service };
  if (meta.name) out.name = meta.name;
  if (meta.description) out.description = meta.description;
  if (meta.tags && meta.tags.length > 0) out.tags = meta.tags;
  if (meta.type) out.type = meta.type;
  if (meta.expires) out.expires = meta.expires;
  out.created = meta.created ?? "";
  out.updated = meta.updated ?? "";
  out.version = meta.version;
  out.deleted = meta.deleted === true;
  return out;
}

export function requirePath(positionals: string[], command: string): string {
  const path = positionals[0];
  if (!path) throw new UsageError(`kpm ${command}: path required`);
  return path;
}

/** Runs a client call; its AgentKmsError becomes the CLI line of cli/lib-errors.ts. */
export async function call<T>(
  work: (client: AgentKmsClient) => Promise<T>,
  client: AgentKmsClient,
): Promise<T> {
  try {
    return await work(client);
  } catch (error) {
    throw toCliError(error);
  }
}
