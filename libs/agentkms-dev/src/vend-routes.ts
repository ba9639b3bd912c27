// Credential vending (wire §7): the provider list, LLM keys and generic secrets, each rate limited
// per caller and target, policy-checked, and audited with a hash of what was handed out.
import { createHash, randomUUID } from "node:crypto";
import { formatRfc3339Nano } from "./audit.ts";
import { decide, type RequestContext, readStore } from "./handler-context.ts";
import {
  canonicalFields,
  GENERIC_PREFIX,
  LLM_PREFIX,
  pathProblem,
  registryTimestamp,
  sortedObject,
} from "./registry.ts";
import { apiError, internalError, invalidPathReply, notFound, policyDenied, type Reply } from "./reply.ts";

export const SUPPORTED_PROVIDERS = [
  "anthropic",
  "openai",
  "google",
  "azure",
  "bedrock",
  "mistral",
  "groq",
  "xai",
];
const VEND_TTL_SECONDS = 3600;
const LLM_TAGS = ["soc2", "pci-dss", "iso27001"];

/** The terms every vend reply ends with, in AgentKMS's key order. */
function vendTerms(now: Date, credentialUuid: string) {
  return {
    expires_at: registryTimestamp(new Date(now.getTime() + VEND_TTL_SECONDS * 1000)),
    ttl_seconds: VEND_TTL_SECONDS,
    credential_uuid: credentialUuid,
  };
}

function sha256Hex(text: string): string {
  return createHash("sha256").update(text).digest("hex");
}

export function listProviders(): Reply {
  return { status: 200, body: { providers: SUPPORTED_PROVIDERS } };
}

export function vendLlm(ctx: RequestContext): Reply {
  const operation = "credential_vend";
  const tags = LLM_TAGS;
  const provider = ctx.value.trim().toLowerCase();
  if (provider === "") {
    return {
      ...apiError(400, "provider is required", "invalid_request"),
      event: { operation, outcome: "denied", deny_reason: "invalid provider: empty", compliance_tags: tags },
    };
  }
  if (!SUPPORTED_PROVIDERS.includes(provider)) {
    return {
      ...apiError(
        400,
        "unsupported provider \u2014 see /credentials/llm for supported list",
        "invalid_request",
      ),
      event: { operation, outcome: "denied", deny_reason: "unsupported provider", compliance_tags: tags },
    };
  }
  const keyId = `llm/${provider}`;
  const limitKey = `${ctx.caller.callerId}:${provider}`;
  const nowMs = ctx.now.getTime();
  if (ctx.deps.limiter.isLimited(limitKey, nowMs)) {
    return {
      ...apiError(429, "credential recently vended \u2014 retry after TTL expires", "rate_limited"),
      event: {
        operation,
        key_id: keyId,
        outcome: "denied",
        deny_reason: "rate limited: credential recently vended",
        compliance_tags: tags,
      },
    };
  }
  const decision = decide(ctx, operation, keyId);
  if (!decision.allowed) {
    const denied = policyDenied(operation, keyId, decision, "operation denied by policy");
    return { ...denied, event: { ...denied.event, operation, outcome: "denied", compliance_tags: tags } };
  }
  const store = readStore(ctx);
  if (!store.ok) return internalError(operation, keyId, { compliance_tags: tags });
  const apiKey = store.kv.get(LLM_PREFIX + provider)?.["api_key"] ?? "";
  // No store yet reads as an empty store: 404, where agentkms-dev answers 500 (our fix, wire §11).
  if (apiKey === "" || apiKey === "REPLACE_WITH_REAL_KEY") {
    return {
      ...apiError(404, `no credential configured for provider ${provider}`, "key_not_found"),
      event: {
        operation,
        key_id: keyId,
        outcome: "error",
        deny_reason: "credential not found for provider",
        compliance_tags: tags,
        rule_id: decision.ruleId,
      },
    };
  }
  ctx.deps.limiter.recordVend(limitKey, nowMs);
  const credentialUuid = randomUUID();
  const expires = new Date(nowMs + VEND_TTL_SECONDS * 1000);
  const scope = {
    kind: "llm-session",
    params: { provider },
    ttl: VEND_TTL_SECONDS * 1e9,
    issued_at: formatRfc3339Nano(ctx.now),
    expires_at: formatRfc3339Nano(expires),
  };
  return {
    status: 200,
    body: {
      provider,
      api_key: apiKey,
      ...vendTerms(ctx.now, credentialUuid),
    },
    event: {
      operation,
      key_id: keyId,
      outcome: "success",
      compliance_tags: tags,
      credential_uuid: credentialUuid,
      rule_id: decision.ruleId,
      credential_type: "llm-session",
      provider_token_hash: sha256Hex(apiKey),
      scope,
      scope_hash: sha256Hex(JSON.stringify(scope)),
    },
  };
}

export function vendGeneric(ctx: RequestContext): Reply {
  const operation = "credential_vend";
  // Generic paths are not trimmed (wire §7.3), so a trailing "/" is an empty segment here.
  const path = ctx.value;
  const problem = pathProblem(path);
  if (problem) return invalidPathReply(operation, problem, "path is required");
  const keyId = `generic/${path}`;
  const limitKey = `${ctx.caller.callerId}:generic:${path}`;
  const nowMs = ctx.now.getTime();
  if (ctx.deps.limiter.isLimited(limitKey, nowMs)) {
    return {
      ...apiError(429, "retry after TTL expires", "rate_limited"),
      event: { operation, key_id: keyId, outcome: "denied", deny_reason: "rate limited" },
    };
  }
  const decision = decide(ctx, operation, keyId);
  if (!decision.allowed) return policyDenied(operation, keyId, decision, "denied");
  const store = readStore(ctx);
  if (!store.ok) return internalError(operation, keyId);
  const fields = store.kv.get(GENERIC_PREFIX + path);
  if (!fields) return notFound(operation, keyId, "not found", "error");
  ctx.deps.limiter.recordVend(limitKey, nowMs);
  const credentialUuid = randomUUID();
  return {
    status: 200,
    body: {
      path,
      secrets: sortedObject(fields),
      ...vendTerms(ctx.now, credentialUuid),
    },
    event: {
      operation,
      key_id: keyId,
      outcome: "success",
      credential_uuid: credentialUuid,
      rule_id: decision.ruleId,
      credential_type: "generic-vend",
      provider_token_hash: sha256Hex(canonicalFields(fields)),
    },
  };
}
