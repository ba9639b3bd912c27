// The registry handlers (wire §5, §6, cli §15.3): write, read, history, delete and purge of secrets,
// and their metadata. Each validates the path, asks the policy, then touches the store.
import { secretValueProblem } from "@kpm/agentkms-client";
import { decide, type RequestContext, readStore, updateStore } from "./handler-context.ts";
import { decodeMetadataBody, decodeSecretBody } from "./json-body.ts";
import {
  getMetadata,
  listMetadata,
  mergeMetadata,
  pathProblem,
  purgeSecret,
  readSecret,
  secretHistory,
  softDelete,
  sortedObject,
  trimSlashes,
  writeSecret,
} from "./registry.ts";
import { apiError, internalError, invalidPathReply, notFound, policyDenied, type Reply } from "./reply.ts";
import { readBody } from "./request-body.ts";
import { replyJson } from "./respond.ts";
import type { KV } from "./store.ts";

interface RegistryRequest {
  path: string;
  keyId: string;
  ruleId?: string;
}

/**
 * The start every registry handler shares, in the cli §15.3 order: path validation (400, with the
 * route's own wording for an empty path), then policy (403, with the route's wording, wire §3.5).
 */
function authorizeRegistry(
  ctx: RequestContext,
  operation: string,
  namespace: "secrets" | "metadata",
  wording: { emptyPath: string; denied: string } = {
    emptyPath: "path is required",
    denied: "operation denied by policy",
  },
): RegistryRequest | { reply: Reply } {
  const path = trimSlashes(ctx.value);
  const problem = pathProblem(path);
  if (problem) return { reply: invalidPathReply(operation, problem, wording.emptyPath) };
  const keyId = `${namespace}/${path}`;
  const decision = decide(ctx, operation, keyId);
  if (!decision.allowed) return { reply: policyDenied(operation, keyId, decision, wording.denied) };
  return { path, keyId, ruleId: decision.ruleId };
}

export async function postSecret(ctx: RequestContext): Promise<Reply> {
  const operation = "secret_write";
  const request = authorizeRegistry(ctx, operation, "secrets");
  if ("reply" in request) return request.reply;
  const { path, keyId, ruleId } = request;
  const raw = await readBody(ctx.req);
  const body = raw === null ? ({ kind: "invalid" } as const) : decodeSecretBody(raw.text);
  if (body.kind === "invalid") {
    return {
      ...apiError(400, "invalid JSON body", "invalid_request"),
      event: { operation, key_id: keyId, outcome: "denied", deny_reason: "invalid JSON body" },
    };
  }
  if (body.kind === "empty") {
    return {
      ...apiError(400, "secret body must not be empty", "invalid_request"),
      event: { operation, key_id: keyId, outcome: "denied", deny_reason: "empty secret body" },
    };
  }
  const refusal = raw?.utf8 === false ? "secret body is not valid UTF-8" : valueRefusal(body.fields);
  if (refusal !== null) {
    return {
      ...apiError(400, refusal, "invalid_request"),
      event: { operation, key_id: keyId, outcome: "denied", deny_reason: refusal },
    };
  }
  const written = await updateStore(ctx, (kv) => writeSecret(kv, path, body.fields, ctx.now));
  if (!written.ok) return internalError(operation, keyId);
  return {
    status: written.value.created ? 201 : 200,
    body: written.value.metadata,
    event: { operation, key_id: keyId, outcome: "success", rule_id: ruleId },
  };
}

/**
 * Our addition to wire §5.2: a value no environment variable can hold (a NUL byte, a `\ud800`
 * escape) is refused with a fixed text, so nothing that echoes the reason can echo the value.
 */
function valueRefusal(fields: Record<string, string>): string | null {
  for (const value of Object.values(fields)) {
    const problem = secretValueProblem(value);
    if (problem !== null) return `secret value ${problem}`;
  }
  return null;
}

export function getSecret(ctx: RequestContext): Reply {
  if (ctx.query.get("action") === "history") return getHistory(ctx);
  const operation = "credential_vend";
  const request = authorizeRegistry(ctx, operation, "secrets", {
    emptyPath: "path required",
    denied: "denied",
  });
  if ("reply" in request) return request.reply;
  const { path, keyId } = request;
  // Any store failure reads as "not found" here (wire §6.4); the cause is in the server log.
  const store = readStore(ctx);
  const fields = store.ok ? readSecret(store.kv, path) : null;
  if (!fields) return notFound(operation, keyId, "secret not found", "denied");
  // AgentKMS records no rule_id for value reads (wire §4.3).
  return { status: 200, body: sortedObject(fields), event: { operation, key_id: keyId, outcome: "success" } };
}

/** The two read-only registry lookups: authorize, read the store, 200 with the record or 404. */
function registryRead(
  ctx: RequestContext,
  operation: string,
  namespace: "secrets" | "metadata",
  lookup: (kv: KV, path: string) => object | null,
): Reply {
  const request = authorizeRegistry(ctx, operation, namespace);
  if ("reply" in request) return request.reply;
  const { path, keyId, ruleId } = request;
  const store = readStore(ctx);
  if (!store.ok) return internalError(operation, keyId);
  const body = lookup(store.kv, path);
  if (!body) return notFound(operation, keyId, "secret not found", "error");
  return { status: 200, body, event: { operation, key_id: keyId, outcome: "success", rule_id: ruleId } };
}

function getHistory(ctx: RequestContext): Reply {
  return registryRead(ctx, "secret_history", "secrets", secretHistory);
}

export async function deleteSecret(ctx: RequestContext): Promise<Reply> {
  const purge = ctx.query.get("purge") === "true";
  const operation = purge ? "secret_purge" : "secret_delete";
  const request = authorizeRegistry(ctx, operation, "secrets");
  if ("reply" in request) return request.reply;
  const { path, keyId, ruleId } = request;
  const done = await updateStore(ctx, (kv) =>
    purge ? purgeSecret(kv, path) : softDelete(kv, path, ctx.now),
  );
  if (!done.ok) return internalError(operation, keyId);
  if (!done.value) return notFound(operation, keyId, "secret not found", "error");
  return { status: 204, event: { operation, key_id: keyId, outcome: "success", rule_id: ruleId } };
}

/**
 * Serialized `GET /metadata` bodies per store snapshot. The store hands out a new KV object
 * whenever the file changes, so a snapshot's list never goes stale; building and serializing
 * 1,000 records took the server ~1.5 ms per request. Policy and audit still run every time.
 */
const listBodies = new WeakMap<KV, { all?: string; active?: string }>();

export function listSecrets(ctx: RequestContext): Reply {
  const operation = "metadata_list";
  const decision = decide(ctx, operation, "metadata/*");
  if (!decision.allowed) return policyDenied(operation, undefined, decision, "operation denied by policy");
  const store = readStore(ctx);
  if (!store.ok) return internalError(operation, undefined);
  const includeDeleted = ctx.query.get("include_deleted") === "true";
  const bodies = listBodies.get(store.kv) ?? {};
  const which = includeDeleted ? "all" : "active";
  let json = bodies[which];
  if (json === undefined) {
    json = `${replyJson({ secrets: listMetadata(store.kv, includeDeleted) })}\n`;
    bodies[which] = json;
    listBodies.set(store.kv, bodies);
  }
  return { status: 200, json, event: { operation, outcome: "success", rule_id: decision.ruleId } };
}

export function getSecretMetadata(ctx: RequestContext): Reply {
  return registryRead(ctx, "metadata_list", "metadata", getMetadata);
}

export async function postSecretMetadata(ctx: RequestContext): Promise<Reply> {
  const operation = "metadata_write";
  const request = authorizeRegistry(ctx, operation, "metadata");
  if ("reply" in request) return request.reply;
  const { path, keyId, ruleId } = request;
  const missing = (): Reply =>
    notFound(operation, keyId, "secret not found \u2014 write the secret first", "error", "secret not found");
  // Existence is checked before the body is decoded (wire §5.3 order).
  const store = readStore(ctx);
  if (!store.ok) return internalError(operation, keyId);
  if (!getMetadata(store.kv, path)) return missing();
  const raw = await readBody(ctx.req);
  const patch = raw === null ? null : decodeMetadataBody(raw.text);
  if (!patch) {
    return {
      ...apiError(400, "invalid JSON body", "invalid_request"),
      event: { operation, key_id: keyId, outcome: "denied", deny_reason: "invalid JSON body" },
    };
  }
  const merged = await updateStore(ctx, (kv) => mergeMetadata(kv, path, patch, ctx.now));
  if (!merged.ok) return internalError(operation, keyId);
  if (!merged.value) return missing();
  return {
    status: 200,
    body: merged.value,
    event: { operation, key_id: keyId, outcome: "success", rule_id: ruleId },
  };
}
