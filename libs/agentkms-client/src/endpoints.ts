// The AgentKMS API calls kpm makes (wire §5–§7, kpm-cli.md §6.5): route, method, accepted statuses,
// request body, and the decoding of each answer. Authentication and the wire are the callers'.
import { decode, parseBody, validate } from "./decode.ts";
import { AgentKmsError } from "./errors.ts";
import {
  type MetadataUpdate,
  metadataUpdateBody,
  type SecretMetadata,
  toSecretMetadata,
} from "./metadata.ts";
import { listedMetadata } from "./metadata-list-check.ts";
import { encodePath, validatePath } from "./path.ts";
import { checkGenericCredential, checkLlmCredential, checkStringMap } from "./response-checks.ts";
import type { SessionAuth } from "./session-auth.ts";
import type { Answer, Call, Transport } from "./transport.ts";

export interface HistoryEntry {
  version: number;
  created?: string;
  caller?: string;
}

export interface SecretHistory {
  path: string;
  versions: HistoryEntry[] | null;
}

export interface AgentKmsEndpoints {
  fetchLLM(provider: string): Promise<{ provider: string; api_key?: string }>;
  fetchGeneric(path: string): Promise<Record<string, string>>;
  fetchRegistrySecret(path: string): Promise<Record<string, string>>;
  writeSecret(path: string, fields: Record<string, string>): Promise<SecretMetadata>;
  writeMetadata(path: string, metadata: MetadataUpdate): Promise<SecretMetadata>;
  getMetadata(path: string): Promise<SecretMetadata | null>;
  listMetadata(options?: { includeDeleted?: boolean }): Promise<SecretMetadata[]>;
  history(path: string): Promise<SecretHistory>;
  deleteSecret(path: string, options?: { purge?: boolean }): Promise<void>;
  /** true on 200; false when the server answers otherwise, refuses, or is too slow; throws on TLS faults. */
  healthz(): Promise<boolean>;
}

function jsonBody(value: unknown): Uint8Array {
  return new TextEncoder().encode(JSON.stringify(value));
}

/** The calls over `auth` (API routes, with a session) and `transport` (the unauthenticated health probe). */
export function createEndpoints(auth: SessionAuth, transport: Transport): AgentKmsEndpoints {
  const api = (call: Call): Promise<Answer> => auth.call(call);
  return {
    async fetchLLM(provider) {
      const op = `fetch LLM ${provider}`;
      const reason = validatePath(provider);
      if (reason !== null) {
        throw new AgentKmsError("invalid_path", `invalid path ${JSON.stringify(provider)}: ${reason}`);
      }
      // One segment: the route takes a single `{provider}`.
      const answer = await api({
        op,
        method: "GET",
        route: `/credentials/llm/${encodeURIComponent(provider)}`,
        ok: [200],
      });
      return decode(op, answer.text, (all) => all.llmCredentialSchema, checkLlmCredential);
    },

    async fetchGeneric(path) {
      const op = `fetch generic/${path}`;
      const answer = await api({
        op,
        method: "GET",
        route: `/credentials/generic/${encodePath(path)}`,
        ok: [200],
      });
      return (await decode(op, answer.text, (all) => all.genericCredentialSchema, checkGenericCredential))
        .secrets;
    },

    async fetchRegistrySecret(path) {
      const op = `fetch ${path}`;
      let answer: Answer;
      try {
        answer = await api({ op, method: "GET", route: `/secrets/${encodePath(path)}`, ok: [200] });
      } catch (error) {
        if (error instanceof AgentKmsError && error.notFound) {
          // Kept from kpm v0.2.1 (kpm-cli.md §6.5).
          throw new AgentKmsError("http", `secret not found: ${path}`, {
            status: 404,
            notFound: true,
            ...(error.serverCode !== undefined ? { serverCode: error.serverCode } : {}),
          });
        }
        throw error;
      }
      return decode(op, answer.text, (all) => all.secretFieldsSchema, checkStringMap);
    },

    async writeSecret(path, fields) {
      const op = `write ${path}`;
      const route = `/secrets/${encodePath(path)}`;
      const body = jsonBody(fields);
      try {
        const answer = await api({ op, method: "POST", route, body, ok: [200, 201] });
        return toSecretMetadata(await decode(op, answer.text, (all) => all.metadataSchema));
      } finally {
        body.fill(0);
      }
    },

    async writeMetadata(path, metadata) {
      const op = "request";
      const route = `/metadata/${encodePath(path)}`;
      const body = jsonBody(metadataUpdateBody(metadata));
      const answer = await api({ op, method: "POST", route, body, ok: [200, 201] });
      return toSecretMetadata(await decode(op, answer.text, (all) => all.metadataSchema));
    },

    async getMetadata(path) {
      const op = "request";
      try {
        const answer = await api({ op, method: "GET", route: `/metadata/${encodePath(path)}`, ok: [200] });
        return toSecretMetadata(await decode(op, answer.text, (all) => all.metadataSchema));
      } catch (error) {
        if (error instanceof AgentKmsError && error.notFound) return null;
        throw error;
      }
    },

    async listMetadata(options = {}) {
      const op = "request";
      const route = options.includeDeleted ? "/metadata?include_deleted=true" : "/metadata";
      const answer = await api({ op, method: "GET", route, ok: [200] });
      const parsed = parseBody(op, answer.text);
      return (
        listedMetadata(parsed) ??
        (await validate(op, parsed, (all) => all.metadataListSchema)).secrets.map(toSecretMetadata)
      );
    },

    async history(path) {
      const op = "request";
      const route = `/secrets/${encodePath(path)}?action=history`;
      const answer = await api({ op, method: "GET", route, ok: [200] });
      return decode(op, answer.text, (all) => all.historySchema);
    },

    async deleteSecret(path, options = {}) {
      const route = `/secrets/${encodePath(path)}${options.purge ? "?purge=true" : ""}`;
      await api({ op: "request", method: "DELETE", route, ok: [200, 204] });
    },

    async healthz() {
      // "Not up yet" is an answer for a health probe; a TLS fault or a redirect is not.
      const call: Call = {
        op: "health check",
        method: "GET",
        route: "/healthz",
        ok: [200],
        unreachableIsAnswer: true,
      };
      return (await transport.send(call)).status === 200;
    },
  };
}
