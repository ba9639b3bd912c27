// An AgentKmsClient whose reads go through the agent: one line per call over the agent socket, the
// answer or the library error the direct path would have raised. When the agent cannot serve (its
// socket fails, it answers `fail`), this call and every later one take the direct client instead,
// so a command's output and exit code do not depend on whether an agent was running.
import type { AgentKmsClient } from "@kpm/agentkms-client/resolve";
import type { AgentConnection } from "./connection.ts";
import { CALL_METHODS, type CallMethod, type RemoteError, type ServerSettings } from "./protocol.ts";

/** What the client needs of a connection: AgentConnection (Bun socket) or BlockingConnection (libc). */
export type AgentChannel = Pick<AgentConnection, "request" | "close">;

export interface RemoteClientOptions {
  connection: AgentChannel;
  settings: ServerSettings;
  /** The config file the settings came from (the agent watches it). */
  config?: string;
  /** Builds the direct client, at most once, when the agent cannot serve. */
  direct: () => Promise<AgentKmsClient>;
  /** Turns an error the agent relayed back into the library's own error class. */
  rebuildError: (error: RemoteError) => Error;
  /** Told once, with the reason, when the calls move to the direct path (for --verbose). */
  onFallback?: (reason: string) => void;
}

export function remoteClient(options: RemoteClientOptions): AgentKmsClient {
  const { connection } = options;
  let direct: Promise<AgentKmsClient> | undefined;
  let unavailable: string | undefined;

  const directClient = (reason: string): Promise<AgentKmsClient> => {
    if (unavailable === undefined) {
      unavailable = reason;
      options.onFallback?.(reason);
      connection.close();
    }
    direct ??= options.direct();
    return direct;
  };

  const viaAgent = async (method: CallMethod, args: unknown[]): Promise<unknown> => {
    if (unavailable === undefined) {
      const request = { op: "call" as const, settings: options.settings, method, args };
      const body = options.config === undefined ? request : { ...request, config: options.config };
      let outcome: Awaited<ReturnType<AgentChannel["request"]>> | string;
      try {
        outcome = await connection.request(body);
      } catch (error) {
        outcome = error instanceof Error ? error.message : String(error);
      }
      if (typeof outcome !== "string") {
        if ("value" in outcome) return outcome.value;
        if ("error" in outcome) throw options.rebuildError(outcome.error);
        outcome = outcome.fail;
      }
      await directClient(outcome);
    }
    const client = await directClient(unavailable ?? "unavailable");
    return (client[method] as (...callArgs: unknown[]) => Promise<unknown>)(...args);
  };

  const reads = Object.fromEntries(
    CALL_METHODS.map((method) => [method, (...args: unknown[]) => viaAgent(method, args)]),
  ) as Pick<AgentKmsClient, CallMethod>;

  return {
    ...reads,
    // Writes, health probes and explicit authentication are not the agent's: they go direct.
    writeSecret: async (...args) => (await directClient("a write")).writeSecret(...args),
    writeMetadata: async (...args) => (await directClient("a write")).writeMetadata(...args),
    deleteSecret: async (...args) => (await directClient("a write")).deleteSecret(...args),
    healthz: async () => (await directClient("a health probe")).healthz(),
    authenticate: async () => (await directClient("authentication")).authenticate(),
    close() {
      connection.close();
      direct?.then((client) => client.close()).catch(() => {});
    },
  };
}
