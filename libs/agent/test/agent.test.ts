// The agent in-process over a real Unix socket with a counting fake AgentKMS client: the wire, the
// cache (one vend for many reads, TTL, server expiry, single flight), status/flush/stop, staleness
// when a loaded file changes, the peer check (and what it stops when switched off), and the
// remote client's fallback to the direct path.
import { afterAll, afterEach, beforeAll, describe, expect, test } from "bun:test";
import { mkdirSync, mkdtempSync, rmSync, statSync, utimesSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { type AgentKmsClient, AgentKmsError } from "@kpm/agentkms-client";
import {
  AgentConnection,
  agentSocketPath,
  agentStatus,
  CACHED_METHODS,
  FileWatch,
  fileStamp,
  parseRequest,
  parseResponse,
  peerCheck,
  type RemoteError,
  type RunAgentOptions,
  remoteClient,
  runAgent,
  type ServerSettings,
  signalAgent,
  toRemoteError,
  VendCache,
} from "../src/index.ts";

const root = mkdtempSync("/tmp/ka-");
afterAll(() => rmSync(root, { recursive: true, force: true }));

let counter = 0;
function freshDir(): string {
  const dir = join(root, `d${counter++}`);
  mkdirSync(dir, { mode: 0o700 });
  return dir;
}

interface FakeServer {
  client: AgentKmsClient;
  calls: string[];
}

function fakeClient(): FakeServer {
  const calls: string[] = [];
  const record = (name: string) => calls.push(name);
  const client: AgentKmsClient = {
    async fetchLLM(provider) {
      record(`llm:${provider}`);
      if (provider === "denied")
        throw new AgentKmsError("http", "fetch LLM denied: forbidden", {
          status: 403,
          denied: true,
          serverCode: "x",
        });
      if (provider === "boom") throw new TypeError("not a library error");
      return { provider, api_key: `key-${provider}` };
    },
    async fetchGeneric(path) {
      record(`generic:${path}`);
      return { value: `generic-${path}` };
    },
    async fetchRegistrySecret(path) {
      record(`registry:${path}`);
      return { value: `registry-${path}` };
    },
    async writeSecret() {
      throw new Error("not here");
    },
    async writeMetadata() {
      throw new Error("not here");
    },
    async getMetadata(path) {
      record(`meta:${path}`);
      return null;
    },
    async listMetadata() {
      record("list");
      return [];
    },
    async history(path) {
      record(`history:${path}`);
      return { path, versions: null };
    },
    async deleteSecret() {},
    async healthz() {
      return true;
    },
    async authenticate() {},
    close() {},
    sessionExpiresAt: () => Date.parse("2030-01-01T00:00:00Z"),
  };
  return { client, calls };
}

interface Running {
  dir: string;
  socket: string;
  fake: FakeServer;
  exit: Promise<number>;
  ready: Promise<string>;
  stop: () => Promise<number>;
  config: string;
}

const running: Running[] = [];
afterEach(async () => {
  for (const agent of running.splice(0)) await agent.stop();
});

async function startAgent(
  options: {
    admit?: (fd: number) => string | null;
    idleTimeoutSeconds?: number;
    cacheTtlSeconds?: number;
    get?: RunAgentOptions["get"];
  } = {},
): Promise<Running> {
  const dir = freshDir();
  const runtimeDir = join(dir, "rt");
  const config = join(dir, "config.yaml");
  writeFileSync(config, "server: x\n");
  const fake = fakeClient();
  const controller = new AbortController();
  let resolveReady: (line: string) => void = () => {};
  const ready = new Promise<string>((resolve) => {
    resolveReady = resolve;
  });
  const exit = runAgent({
    runtimeDir,
    idleTimeoutSeconds: options.idleTimeoutSeconds ?? 60,
    cacheTtlSeconds: options.cacheTtlSeconds ?? 60,
    watch: [config],
    createClient: (settings) => {
      if (settings.server === "bad") throw new AgentKmsError("config", "bad server");
      return fake.client;
    },
    writeReady: resolveReady,
    pollMs: 50,
    stopSignal: controller.signal,
    ...(options.admit ? { admit: options.admit } : {}),
    ...(options.get ? { get: options.get } : {}),
    ...(options.get ? { get: options.get } : {}),
  });
  const agent: Running = {
    dir,
    socket: agentSocketPath(runtimeDir),
    fake,
    exit,
    ready,
    config,
    stop: async () => {
      controller.abort();
      return exit;
    },
  };
  running.push(agent);
  await ready;
  return agent;
}

function settingsFor(agent: Running, server = "https://kms.test"): ServerSettings {
  return { server, cert: agent.config, key: agent.config, ca: agent.config };
}

describe("protocol", () => {
  test("requests: calls with settings, control ops; anything else is refused", () => {
    const settings = { server: "s", cert: "c", key: "k", ca: "a" };
    expect(
      parseRequest(JSON.stringify({ id: 1, op: "call", settings, method: "fetchLLM", args: ["x"] })),
    ).toEqual({
      id: 1,
      op: "call",
      settings,
      method: "fetchLLM",
      args: ["x"],
    });
    expect(
      parseRequest(
        JSON.stringify({ id: 2, op: "call", settings, config: "/c", method: "history", args: [] }),
      ),
    ).toMatchObject({ config: "/c" });
    for (const op of ["status", "flush", "stop"] as const)
      expect(parseRequest(JSON.stringify({ id: 3, op }))).toEqual({ id: 3, op });
    for (const bad of [
      "not json",
      "[]",
      JSON.stringify({ op: "status" }),
      JSON.stringify({ id: 1, op: "nope" }),
      JSON.stringify({ id: 1, op: "call", settings, method: "writeSecret", args: [] }),
      JSON.stringify({ id: 1, op: "call", settings: { server: "s" }, method: "fetchLLM", args: [] }),
      JSON.stringify({ id: 1, op: "call", settings: null, method: "fetchLLM", args: [] }),
      JSON.stringify({ id: 1, op: "call", settings, method: "fetchLLM", args: "x" }),
      JSON.stringify({ id: 1, op: "call", settings, method: "fetchLLM", args: [], config: 5 }),
    ])
      expect(parseRequest(bad)).toBeNull();
  });

  test("responses: value, error, fail; malformed ones are refused", () => {
    expect(parseResponse('{"id":1,"value":null}')).toEqual({ id: 1, value: null });
    expect(parseResponse('{"id":1,"fail":"why"}')).toEqual({ id: 1, fail: "why" });
    expect(
      parseResponse(
        '{"id":1,"error":{"name":"E","code":"http","message":"m","status":429,"serverCode":"r"}}',
      ),
    ).toEqual({
      id: 1,
      error: {
        name: "E",
        code: "http",
        message: "m",
        status: 429,
        serverCode: "r",
        notFound: false,
        denied: false,
      },
    });
    for (const bad of ["x", "null", '{"id":"1","value":1}', '{"id":1}', '{"id":1,"error":{"code":"x"}}'])
      expect(parseResponse(bad)).toBeNull();
  });

  test("library errors cross the wire with their flags; other throws do not", () => {
    const error = new AgentKmsError("http", "m", { status: 404, notFound: true, serverCode: "nf" });
    expect(toRemoteError(error)).toEqual({
      name: "AgentKmsError",
      code: "http",
      message: "m",
      status: 404,
      serverCode: "nf",
      notFound: true,
      denied: false,
    });
    expect(toRemoteError(new Error("plain"))).toBeNull();
    expect(toRemoteError("text")).toBeNull();
    expect([...CACHED_METHODS].sort()).toEqual(["fetchGeneric", "fetchLLM", "fetchRegistrySecret"]);
  });
});

describe("VendCache", () => {
  test("keeps a value until its TTL, joins a request in flight, forgets failures", async () => {
    let now = 1000;
    const cache = new VendCache(500, () => now);
    let fetches = 0;
    const fetch = async () => ++fetches;
    const [a, b] = await Promise.all([cache.get("k", fetch), cache.get("k", fetch)]);
    expect([a, b, fetches]).toEqual([1, 1, 1]);
    now += 499;
    expect(await cache.get("k", fetch)).toBe(1);
    now += 1;
    expect(await cache.get("k", fetch)).toBe(2);
    expect(cache.size).toBe(1);
    await expect(cache.get("bad", () => Promise.reject(new Error("no")))).rejects.toThrow("no");
    await Bun.sleep(0);
    expect(cache.size).toBe(1);
    cache.clear();
    expect(cache.size).toBe(0);
  });

  test("an expires_at earlier than the TTL ends the entry first", async () => {
    let now = Date.parse("2030-01-01T00:00:00Z");
    const cache = new VendCache(600_000, () => now);
    let fetches = 0;
    const fetch = async () => ({ n: ++fetches, expires_at: "2030-01-01T00:00:10Z" });
    await cache.get("k", fetch);
    now += 9_000;
    expect(((await cache.get("k", fetch)) as { n: number }).n).toBe(1);
    now += 1_000;
    expect(((await cache.get("k", fetch)) as { n: number }).n).toBe(2);
    // No usable expiry: the TTL alone decides.
    for (const value of [null, "text", { expires_at: 5 }, { expires_at: "never" }])
      await cache.get(JSON.stringify(value), async () => value);
  });
});

describe("FileWatch", () => {
  test("a changed, replaced or removed file is named; an unchanged one is not", () => {
    const dir = freshDir();
    const path = join(dir, "f");
    writeFileSync(path, "a");
    const watch = new FileWatch();
    watch.add(path);
    watch.add(path);
    expect(watch.changed()).toBeNull();
    const later = new Date(Date.now() + 10_000);
    utimesSync(path, later, later);
    expect(watch.changed()).toBe(path);
    expect(fileStamp(join(dir, "missing"))).toBe("missing:ENOENT");
  });
});

describe("runAgent", () => {
  test("serves calls over a 0600 socket in a 0700 directory; vended values are cached, metadata is not", async () => {
    const agent = await startAgent();
    expect(await agent.ready).toBe(`${JSON.stringify({ ready: true, pid: process.pid })}\n`);
    expect(statSync(agent.socket).mode & 0o777).toBe(0o600);
    expect(statSync(join(agent.dir, "rt")).mode & 0o777).toBe(0o700);
    const connection = (await AgentConnection.open(agent.socket)) as AgentConnection;
    const settings = settingsFor(agent);
    const call = (method: string, args: unknown[]) =>
      connection.request({ op: "call", settings, method: method as "fetchLLM", args });
    const answers = await Promise.all([
      call("fetchLLM", ["a"]),
      call("fetchLLM", ["a"]),
      call("fetchGeneric", ["g"]),
    ]);
    expect(answers.map((answer) => ("value" in answer ? answer.value : answer))).toEqual([
      { provider: "a", api_key: "key-a" },
      { provider: "a", api_key: "key-a" },
      { value: "generic-g" },
    ]);
    await call("getMetadata", ["s/n"]);
    await call("getMetadata", ["s/n"]);
    await call("fetchLLM", ["a"]);
    expect(agent.fake.calls).toEqual(["llm:a", "generic:g", "meta:s/n", "meta:s/n"]);
    connection.close();
    expect(await connection.request({ op: "status" }).catch((error: Error) => error.message)).toBe(
      "the agent connection is closed",
    );
  });

  test("errors: a library error comes back whole; anything else, or a client that cannot be built, is a fail", async () => {
    const agent = await startAgent();
    const connection = (await AgentConnection.open(agent.socket)) as AgentConnection;
    const settings = settingsFor(agent);
    expect(await connection.request({ op: "call", settings, method: "fetchLLM", args: ["denied"] })).toEqual({
      id: 1,
      error: {
        name: "AgentKmsError",
        code: "http",
        message: "fetch LLM denied: forbidden",
        status: 403,
        serverCode: "x",
        notFound: false,
        denied: true,
      },
    });
    expect(
      await connection.request({ op: "call", settings, method: "fetchLLM", args: ["boom"] }),
    ).toMatchObject({
      fail: expect.stringContaining("internal error"),
    });
    expect(
      await connection.request({
        op: "call",
        settings: { ...settings, server: "bad" },
        method: "fetchLLM",
        args: ["x"],
      }),
    ).toMatchObject({ fail: "cannot create a client: bad server" });
    connection.close();
  });

  test("status, flush and stop", async () => {
    const agent = await startAgent();
    const connection = (await AgentConnection.open(agent.socket)) as AgentConnection;
    await connection.request({ op: "call", settings: settingsFor(agent), method: "fetchLLM", args: ["a"] });
    connection.close();
    expect(await agentStatus(agent.socket)).toMatchObject({
      pid: process.pid,
      requests: 1,
      cache_entries: 1,
      cache_ttl_seconds: 60,
      idle_timeout_seconds: 60,
      servers: [{ server: "https://kms.test", token_expires_at: "2030-01-01T00:00:00Z", requests: 1 }],
    });
    expect(await signalAgent(agent.socket, "flush")).toBe(true);
    expect((await agentStatus(agent.socket))?.cache_entries).toBe(0);
    expect(await signalAgent(agent.socket, "stop")).toBe(true);
    expect(await agent.exit).toBe(0);
    expect(await agentStatus(agent.socket)).toBeNull();
    expect(await signalAgent(agent.socket, "flush")).toBe(false);
  });

  test("a second agent for the same runtime directory reports the first one's pid", async () => {
    const agent = await startAgent();
    const ready: string[] = [];
    const code = await runAgent({
      runtimeDir: join(agent.dir, "rt"),
      idleTimeoutSeconds: 60,
      cacheTtlSeconds: 60,
      watch: [],
      createClient: () => agent.fake.client,
      writeReady: (line) => {
        ready.push(line);
      },
    });
    expect([code, ready]).toEqual([0, [`${JSON.stringify({ ready: true, pid: process.pid })}\n`]]);
  });

  test("a runtime directory that is not private is refused before anything is bound", async () => {
    const dir = freshDir();
    const runtimeDir = join(dir, "open");
    mkdirSync(runtimeDir, { mode: 0o755 });
    const ready: string[] = [];
    const code = await runAgent({
      runtimeDir,
      idleTimeoutSeconds: 60,
      cacheTtlSeconds: 60,
      watch: [],
      createClient: () => fakeClient().client,
      writeReady: (line) => {
        ready.push(line);
      },
    });
    expect(code).toBe(1);
    expect(ready[0]).toContain('"ready":false');
    expect(ready[0]).toContain("allows access by group or others");
  });

  test("a loaded file that changes makes the agent answer fail and exit", async () => {
    const agent = await startAgent();
    const connection = (await AgentConnection.open(agent.socket)) as AgentConnection;
    const settings = settingsFor(agent);
    await connection.request({ op: "call", settings, config: agent.config, method: "fetchLLM", args: ["a"] });
    const later = new Date(Date.now() + 10_000);
    utimesSync(agent.config, later, later);
    expect(await connection.request({ op: "call", settings, method: "fetchLLM", args: ["a"] })).toMatchObject(
      {
        fail: `the agent is stale: ${agent.config} changed`,
      },
    );
    expect(await agent.exit).toBe(0);
  });

  test("it exits after its idle timeout, and when its socket is removed", async () => {
    const idle = await startAgent({ idleTimeoutSeconds: 1 });
    expect(await idle.exit).toBe(0);
    const orphan = await startAgent();
    rmSync(orphan.socket);
    expect(await orphan.exit).toBe(0);
  });

  test("a refused peer gets no answer; with the check off, the same peer is served", async () => {
    const guarded = await startAgent({ admit: peerCheck(process.getuid?.() === 0 ? 65534 : 0) });
    const refused = (await AgentConnection.open(guarded.socket)) as AgentConnection;
    expect(await refused.request({ op: "status" }).catch((error: Error) => error.message)).toBe(
      "the agent closed the connection",
    );
    const open = await startAgent({ admit: () => null });
    expect((await agentStatus(open.socket))?.pid).toBe(process.pid);
    // The default check serves this process (same uid, not confined).
    expect(peerCheck()).toBeInstanceOf(Function);
    const served = await startAgent();
    expect((await agentStatus(served.socket))?.pid).toBe(process.pid);
  });

  test("a malformed request line ends the connection", async () => {
    const agent = await startAgent();
    const socket = await Bun.connect({
      unix: agent.socket,
      socket: { data() {}, close() {} },
    });
    socket.write("{nope}\n");
    await Bun.sleep(50);
    expect(socket.readyState).not.toBe(1);
  });
});

describe("the get fast path", () => {
  test("parseRequest accepts {op: get, input, env of strings} only", () => {
    expect(parseRequest(JSON.stringify({ id: 1, op: "get", input: "llm/a", env: { HOME: "/h" } }))).toEqual({
      id: 1,
      op: "get",
      input: "llm/a",
      env: { HOME: "/h" },
    });
    for (const bad of [
      { id: 1, op: "get", input: 5, env: {} },
      { id: 1, op: "get", input: "x", env: null },
      { id: 1, op: "get", input: "x", env: { HOME: 1 } },
    ])
      expect(parseRequest(JSON.stringify(bad))).toBeNull();
  });

  test("the hook answers through the agent's cached reads; a throw, no hook or a stale file is a fail", async () => {
    const agent = await startAgent({
      get: async (request, reads) => {
        if (request.input === "throw") throw new Error("declined");
        const client = reads(settingsFor(agent), agent.config);
        await expect(client.writeSecret("x", {})).rejects.toThrow("not served by the agent");
        await expect(client.writeMetadata("x", {})).rejects.toThrow("not served by the agent");
        await expect(client.deleteSecret("x")).rejects.toThrow("not served by the agent");
        await expect(client.healthz()).rejects.toThrow("not served by the agent");
        await expect(client.authenticate()).rejects.toThrow("not served by the agent");
        client.close();
        return (await client.fetchLLM(request.input)).api_key ?? "";
      },
    });
    const connection = (await AgentConnection.open(agent.socket)) as AgentConnection;
    expect(await connection.request({ op: "get", input: "a", env: {} })).toEqual({ id: 1, value: "key-a" });
    expect(await connection.request({ op: "get", input: "a", env: {} })).toEqual({ id: 2, value: "key-a" });
    expect(agent.fake.calls).toEqual(["llm:a"]);
    expect(await connection.request({ op: "get", input: "throw", env: {} })).toEqual({
      id: 3,
      fail: "declined",
    });
    const later = new Date(Date.now() + 10_000);
    utimesSync(agent.config, later, later);
    expect(await connection.request({ op: "get", input: "a", env: {} })).toEqual({
      id: 4,
      fail: `the agent is stale: ${agent.config} changed`,
    });
    connection.close();
    expect(await agent.exit).toBe(0);

    const without = await startAgent();
    const second = (await AgentConnection.open(without.socket)) as AgentConnection;
    expect(await second.request({ op: "get", input: "a", env: {} })).toEqual({
      id: 1,
      fail: "get is not served here",
    });
    second.close();
  });
});

describe("remoteClient", () => {
  const rebuildError = (remote: RemoteError) =>
    new AgentKmsError(remote.code as "http", remote.message, {
      ...(remote.status !== undefined ? { status: remote.status } : {}),
      notFound: remote.notFound,
      denied: remote.denied,
    });

  test("reads go through the agent; errors are rebuilt; writes and probes go direct", async () => {
    const agent = await startAgent();
    const connection = (await AgentConnection.open(agent.socket)) as AgentConnection;
    const directFake = fakeClient();
    let directBuilt = 0;
    const client = remoteClient({
      connection,
      settings: settingsFor(agent),
      config: agent.config,
      direct: async () => {
        directBuilt++;
        return directFake.client;
      },
      rebuildError,
    });
    expect(await client.fetchLLM("a")).toEqual({ provider: "a", api_key: "key-a" });
    expect(await client.fetchRegistrySecret("s/n")).toEqual({ value: "registry-s/n" });
    expect(await client.listMetadata()).toEqual([]);
    expect(await client.history("s/n")).toEqual({ path: "s/n", versions: null });
    expect(await client.getMetadata("s/n")).toBeNull();
    const denied = await client.fetchLLM("denied").catch((error: unknown) => error);
    expect(denied).toBeInstanceOf(AgentKmsError);
    expect(denied).toMatchObject({ status: 403, denied: true, message: "fetch LLM denied: forbidden" });
    expect(directBuilt).toBe(0);
    expect(await client.healthz()).toBe(true);
    await client.authenticate();
    await client.deleteSecret("x");
    await expect(client.writeSecret("x", {})).rejects.toThrow("not here");
    await expect(client.writeMetadata("x", {})).rejects.toThrow("not here");
    expect(directBuilt).toBe(1);
    // Once direct, reads stay direct.
    expect(await client.fetchGeneric("g")).toEqual({ value: "generic-g" });
    expect(directFake.calls).toEqual(["generic:g"]);
    client.close();
  });

  test("a fail or a dead connection moves this call and the rest to the direct client, once", async () => {
    const agent = await startAgent();
    const connection = (await AgentConnection.open(agent.socket)) as AgentConnection;
    const directFake = fakeClient();
    const reasons: string[] = [];
    const client = remoteClient({
      connection,
      settings: { ...settingsFor(agent), server: "bad" },
      direct: async () => directFake.client,
      rebuildError,
      onFallback: (reason) => reasons.push(reason),
    });
    expect(await client.fetchLLM("a")).toEqual({ provider: "a", api_key: "key-a" });
    expect(await client.fetchLLM("b")).toEqual({ provider: "b", api_key: "key-b" });
    expect(reasons).toEqual(["cannot create a client: bad server"]);
    expect(directFake.calls).toEqual(["llm:a", "llm:b"]);
    client.close();

    const second = (await AgentConnection.open(agent.socket)) as AgentConnection;
    const viaDeadAgent = remoteClient({
      connection: second,
      settings: settingsFor(agent),
      direct: async () => directFake.client,
      rebuildError,
      onFallback: (reason) => reasons.push(reason),
    });
    await agent.stop();
    expect(await viaDeadAgent.fetchGeneric("g")).toEqual({ value: "generic-g" });
    expect(reasons[1]).toBe("the agent closed the connection");
  });

  test("nothing listening: open() gives null", async () => {
    expect(await AgentConnection.open(join(freshDir(), "none.sock"))).toBeNull();
  });
});

describe("an agent answering garbage", () => {
  let listener: ReturnType<typeof Bun.listen> | undefined;
  let path = "";
  beforeAll(() => {
    path = join(freshDir(), "g.sock");
    listener = Bun.listen({
      unix: path,
      socket: {
        data(socket) {
          socket.write("garbage\n");
        },
      },
    });
  });
  afterAll(() => listener?.stop(true));

  test("the request fails and the client falls back", async () => {
    const connection = (await AgentConnection.open(path)) as AgentConnection;
    expect(await connection.request({ op: "status" }).catch((error: Error) => error.message)).toBe(
      "the agent sent an unparsable response",
    );
  });
});
