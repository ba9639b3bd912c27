// `kpm agent status|flush|stop`.
import { AgentConnection } from "./connection.ts";
import type { AgentStatus } from "./protocol.ts";

/** The running agent's status, or null when none answers at `socketPath`. */
export async function agentStatus(socketPath: string): Promise<AgentStatus | null> {
  const answer = await control(socketPath, "status");
  return answer === null ? null : (answer as AgentStatus);
}

/** Sends "flush" or "stop"; false when no agent answered. */
export async function signalAgent(socketPath: string, op: "flush" | "stop"): Promise<boolean> {
  return (await control(socketPath, op)) !== null;
}

async function control(socketPath: string, op: "status" | "flush" | "stop"): Promise<unknown | null> {
  const connection = await AgentConnection.open(socketPath);
  if (connection === null) return null;
  try {
    const answer = await connection.request({ op });
    return "value" in answer ? (answer.value ?? {}) : null;
  } catch {
    return null;
  } finally {
    connection.close();
  }
}
