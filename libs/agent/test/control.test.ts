// `kpm agent status|flush|stop` against sockets that are not a working agent: nothing there, and
// a peer that accepts and hangs up before answering. Both read as "no agent" (null, false).
import { afterAll, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { agentStatus, signalAgent } from "@kpm/agent/client";

const root = mkdtempSync(join(tmpdir(), "kpm-agent-control-"));
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe("agent control", () => {
  test("no agent at the path: status null, flush and stop false", async () => {
    const path = join(root, "none.sock");
    expect(await agentStatus(path)).toBeNull();
    expect(await signalAgent(path, "flush")).toBe(false);
    expect(await signalAgent(path, "stop")).toBe(false);
  });

  test("a peer that hangs up without answering: status null, stop false", async () => {
    const path = join(root, "hangup.sock");
    const listener = Bun.listen({ unix: path, socket: { open: (socket) => void socket.end(), data() {} } });
    try {
      expect(await agentStatus(path)).toBeNull();
      expect(await signalAgent(path, "stop")).toBe(false);
    } finally {
      listener.stop(true);
    }
  });
});
