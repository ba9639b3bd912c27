import { describe, expect, test } from "bun:test";
import * as client from "@kpm/session/client";
import * as index from "../src/index.ts";

describe("@kpm/session/client", () => {
  test("exports the index's own socket-client functions, not copies", () => {
    expect(client.requestDecrypt).toBe(index.requestDecrypt);
    expect(client.pingListener).toBe(index.pingListener);
    expect(client.SessionError).toBe(index.SessionError);
    expect(client.findListenerSocket).toBe(index.findListenerSocket);
    expect(client.checkSocketPath).toBe(index.checkSocketPath);
    expect(client.resolveRuntimeDir).toBe(index.resolveRuntimeDir);
    expect(client.MAX_SOCKET_PATH_BYTES).toBe(index.MAX_SOCKET_PATH_BYTES);
    expect(Object.keys(client).sort()).toEqual([
      "MAX_SOCKET_PATH_BYTES",
      "SessionError",
      "checkSocketPath",
      "findListenerSocket",
      "pingListener",
      "requestDecrypt",
      "resolveRuntimeDir",
    ]);
  });

  test("leaves out the listener and its launcher", () => {
    expect("runListener" in client).toBe(false);
    expect("launchListener" in client).toBe(false);
  });
});
