// `@kpm/agent/client`: what a kpm command needs to use the agent — find it, start it, talk to it —
// without the agent's server side or the AgentKMS client (TLS, zod) it holds.
export { BlockingConnection } from "./blocking-connection.ts";
export { AgentConnection } from "./connection.ts";
export { agentStatus, signalAgent } from "./control.ts";
export { type LaunchAgentOptions, type LaunchResult, launchAgent } from "./launch.ts";
export {
  type AgentStatus,
  agentSocketPath,
  type GetRequest,
  type RemoteError,
  type ServerSettings,
  type ServerStatus,
} from "./protocol.ts";
export { type AgentChannel, type RemoteClientOptions, remoteClient } from "./remote-client.ts";
