// The warm-agent fast path of `kpm get <ref>` (docs/agent.md): main.ts sends the bare two-word
// command to a running agent as one request, before the dispatcher, the config reader or node:fs
// load. The agent finds the config from the same variables and answers the value to print, or
// declines; then (and for any other failure) the whole command runs as usual, so every error and
// exit code is the command's own. Measured: ~20 ms less than the dispatcher's warm path (bench/agent).
import { agentSocketPath, parseResponse, requestLine } from "@kpm/agent/protocol";
import { unixRequest } from "@kpm/libc/unix-client";
import { resolveRuntimeDir } from "@kpm/session/runtime-dir-path";
import { writeValue } from "./cli/io.ts";
import type { Env } from "./paths.ts";

/** What locates the config file (paths.ts resolveDirs; apps/kpm/test/agent-fast.test.ts holds it to that). */
export const DIRECTORY_VARIABLES = [
  "HOME",
  "XDG_CONFIG_HOME",
  "XDG_DATA_HOME",
  "KPM_CONFIG",
  "KPM_DATA",
] as const;

/** Whether argv is a command this path may answer: `get <ref>`, no flags, no profile expansion. */
export function fastPathApplies(argv: readonly string[], env: Env): boolean {
  const input = argv[1];
  return (
    argv.length === 2 &&
    argv[0] === "get" &&
    input !== undefined &&
    input.length > 0 &&
    !input.startsWith("-") &&
    !input.includes("{{profile:") &&
    env.KPM_NO_AGENT !== "1"
  );
}

/** How long the agent may take: its own call to AgentKMS has a 10 s timeout (RESPONSE_TIMEOUT_MS). */
const ANSWER_TIMEOUT_MS = 15_000;

/**
 * The value the running agent answers for `input`, or null (no agent, declined, any failure). One
 * blocking request through libc (unixRequest): no event loop, no Bun socket, no node:path. The
 * request goes only to a peer running as this user (SO_PEERCRED on the connected socket): that
 * replaces the lstat checks of the runtime directory and the socket on this path, which cost
 * ~1 ms more (a second libc binding) and could not see what a link or a race put there.
 */
export function fastGet(input: string, env: Env): string | null {
  try {
    const uid = process.getuid?.() ?? 0;
    const socketPath = agentSocketPath(resolveRuntimeDir(env, uid));
    const located: Record<string, string> = {};
    for (const name of DIRECTORY_VARIABLES) {
      const value = env[name];
      if (value !== undefined) located[name] = value;
    }
    const request = new TextEncoder().encode(requestLine({ op: "get", input, env: located }, 1));
    const line = unixRequest(socketPath, request, { timeoutMs: ANSWER_TIMEOUT_MS, expectedUid: uid });
    if (line === null) return null;
    const answer = parseResponse(new TextDecoder().decode(line));
    return answer !== null && "value" in answer && typeof answer.value === "string" ? answer.value : null;
  } catch {
    return null;
  }
}

/** `kpm get <ref>` answered by the agent and printed; false when the command must run instead. */
export async function answeredByAgent(argv: readonly string[], env: Env): Promise<boolean> {
  if (!fastPathApplies(argv, env)) return false;
  const value = fastGet(argv[1] ?? "", env);
  if (value === null) return false;
  await writeValue(value);
  return true;
}
