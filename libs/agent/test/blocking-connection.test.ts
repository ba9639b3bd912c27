// BlockingConnection (libc, blocking) against a stand-in agent in another process: the requests of
// one turn leave in one write and each answer finds its request by id, whatever the order; a
// failed exchange rejects every request, now and later (the caller then takes the direct path).
import { afterAll, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { CALL_METHODS, type CallMethod } from "@kpm/agent";
import { BlockingConnection } from "@kpm/agent/client";

const root = mkdtempSync(join(tmpdir(), "kpm-blocking-"));
const peers: Bun.Subprocess<"pipe", "pipe", "inherit">[] = [];
afterAll(async () => {
  for (const peer of peers) {
    peer.stdin.end();
    peer.kill();
    await peer.exited;
  }
  rmSync(root, { recursive: true, force: true });
});

/** The stand-in agent at `path`, once it listens; `output()` is what it printed since. */
async function agent(path: string, behaviour: string): Promise<{ output: () => Promise<string> }> {
  const child = Bun.spawn(
    [process.execPath, join(import.meta.dir, "helpers/echo-agent.ts"), path, behaviour],
    {
      stdin: "pipe",
      stdout: "pipe",
      stderr: "inherit",
    },
  );
  peers.push(child);
  const reader = child.stdout.getReader();
  let text = "";
  while (!text.includes("ready\n")) text += new TextDecoder().decode((await reader.read()).value);
  return {
    output: async () => {
      child.stdin.end();
      let rest = "";
      for (;;) {
        const { value, done } = await reader.read();
        if (done) return rest;
        rest += new TextDecoder().decode(value);
      }
    },
  };
}

const call = (method: CallMethod) => ({
  op: "call" as const,
  settings: { server: "s", cert: "c", key: "k", ca: "a" },
  method,
  args: [],
});

describe.if(process.platform === "linux")("BlockingConnection", () => {
  test("the requests of one turn share one write; answers in any order reach their requests", async () => {
    const path = join(root, "echo.sock");
    const peer = await agent(path, "echo");
    const connection = BlockingConnection.open(path);
    expect(connection).not.toBeNull();
    const methods = CALL_METHODS.filter((method) => method !== "listMetadata");
    const answers = await Promise.all(methods.map((method) => connection?.request(call(method))));
    expect(answers).toEqual(
      methods.map((method, index) => ({ id: index + 1, value: `${method}:${index + 1}` })),
    );
    // A later turn is a later batch, on the same connection.
    expect(await connection?.request(call("listMetadata"))).toEqual({ id: 6, value: "listMetadata:6" });
    connection?.close();
    expect(await peer.output()).toBe("batch 5\nbatch 1\n");
  });

  test("a peer that hangs up fails every request, and every later one", async () => {
    const path = join(root, "hangup.sock");
    await agent(path, "hangup");
    const connection = BlockingConnection.open(path) as BlockingConnection;
    const results = await Promise.allSettled([
      connection.request(call("fetchLLM")),
      connection.request(call("fetchGeneric")),
    ]);
    expect(results.map((result) => result.status)).toEqual(["rejected", "rejected"]);
    await expect(connection.request(call("fetchLLM"))).rejects.toThrow("the agent did not answer");
    connection.close();
  });

  test("no connection where nothing listens", () => {
    expect(BlockingConnection.open(join(root, "nothing.sock"))).toBeNull();
  });

  test("is supported on Linux with Bun's FFI: agent-use then takes no Bun-socket fallback", () => {
    expect(BlockingConnection.supported).toBe(true);
  });
});
