// Public surface of @kpm/agent: the per-user agent (docs/agent.md) — its process body, the wire
// protocol, and (re-exported from ./client) what commands use to reach it.

export { VendCache } from "./cache.ts";
export * from "./client-index.ts";
export { FileWatch, fileStamp } from "./file-stamp.ts";
export {
  AGENT_PID_NAME,
  AGENT_SOCKET_NAME,
  type AgentRequest,
  type AgentResponse,
  CACHED_METHODS,
  CALL_METHODS,
  type CallMethod,
  parseRequest,
  parseResponse,
  toRemoteError,
} from "./protocol.ts";
export { DEFAULT_POLL_MS, peerCheck, type ReadsFor, type RunAgentOptions, runAgent } from "./server.ts";
