// The broker end to end inside one process: curl through the proxy to local HTTPS upstreams.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { connect } from "node:net";
import { type Broker, startBroker } from "../src/broker.ts";
import type { Swap } from "../src/proxy.ts";
import { startUpstream, type Upstream, upstreamCertificates } from "./fixtures.ts";

const SECRET = "sk-ant-real-value-0123456789";
let api: Upstream;
let other: Upstream;
let broker: Broker;
const swaps: Swap[] = [];
let resolves = 0;
const errors: string[] = [];
let plain: ReturnType<typeof Bun.serve>;

/** Sends `text` to the proxy as is and returns everything it answers until it closes. */
async function raw(text: string | Buffer): Promise<string> {
  const port = Number(new URL(broker.env.HTTPS_PROXY as string).port);
  const socket = connect(port, "127.0.0.1");
  const chunks: Buffer[] = [];
  socket.on("data", (chunk) => chunks.push(Buffer.from(chunk)));
  socket.on("error", () => {});
  socket.write(text);
  await new Promise((done) => socket.on("close", done));
  return Buffer.concat(chunks).toString();
}

function authorization(): string {
  const url = new URL(broker.env.HTTPS_PROXY as string);
  return `Proxy-Authorization: Basic ${Buffer.from(`${url.username}:${url.password}`).toString("base64")}\r\n`;
}

/** curl through the broker (asynchronously: the proxy runs in this process). */
async function curl(args: string[]) {
  const child = Bun.spawn(["curl", "-sS", "--max-time", "10", ...args], {
    env: { PATH: process.env.PATH ?? "", ...broker.env },
    stdout: "pipe",
    stderr: "pipe",
  });
  const [out, err, code] = await Promise.all([
    new Response(child.stdout).text(),
    new Response(child.stderr).text(),
    child.exited,
  ]);
  return { code, out, err };
}

beforeAll(async () => {
  plain = Bun.serve({
    hostname: "127.0.0.1",
    port: 0,
    fetch: (request) =>
      new Response(`plain ${new URL(request.url).pathname} ${request.headers.get("proxy-authorization")}`),
  });
  const upstreamCerts = await upstreamCertificates(["api.anthropic.com", "other.test"]);
  api = startUpstream(upstreamCerts);
  other = startUpstream(upstreamCerts);
  broker = await startBroker({
    secrets: [
      {
        variable: "ANTHROPIC_API_KEY",
        ref: "llm/anthropic",
        hosts: ["api.anthropic.com"],
        resolve: async () => {
          resolves++;
          return SECRET;
        },
      },
      {
        variable: "BROKEN_KEY",
        ref: "kv/broken",
        hosts: ["broken.test", "*.down.test"],
        resolve: async () => {
          throw new Error("denied by policy");
        },
      },
      { variable: "DOWN_KEY", ref: "kv/down", hosts: ["*.down.test"], resolve: async () => "down-value" },
    ],
    resolve: {
      "api.anthropic.com": `127.0.0.1:${api.port}`,
      "other.test": `127.0.0.1:${other.port}`,
      "plain.test": `127.0.0.1:${plain.port}`,
      "api.down.test": "127.0.0.1:1",
    },
    upstreamCa: upstreamCerts.caPem,
    onSwap: (swap) => swaps.push(swap),
    onError: (variable) => errors.push(variable),
  });
});

afterAll(async () => {
  await broker?.close();
  await api?.stop();
  await other?.stop();
  await plain?.stop(true);
});

describe("broker proxy", () => {
  test("a declared host receives the real value; the echo comes back as the placeholder", async () => {
    const placeholder = broker.placeholders.get("ANTHROPIC_API_KEY") as string;
    expect(placeholder).toMatch(/^kpm-broker-[0-9a-f]{32}$/);
    expect(resolves).toBe(0); // lazily: nothing is fetched before the first use
    const result = await curl([
      "-i",
      "-H",
      `x-api-key: ${placeholder}`,
      `https://api.anthropic.com/v1/messages?key=${placeholder}`,
    ]);
    expect(result.err).toBe("");
    expect(api.received.at(-1)?.headers["x-api-key"]).toBe(SECRET);
    expect(api.received.at(-1)?.path).toBe(`/v1/messages?key=${SECRET}`);
    expect(api.received.at(-1)?.host).toBe("api.anthropic.com");
    expect(resolves).toBe(1);
    expect(result.out).not.toContain(SECRET);
    expect(result.out).toContain(placeholder);
    expect(swaps.at(-1)).toEqual({
      variable: "ANTHROPIC_API_KEY",
      ref: "llm/anthropic",
      host: "api.anthropic.com",
      method: "GET",
      path: "/v1/messages",
    });
  });

  test("another host is a plain tunnel: it gets the placeholder", async () => {
    const placeholder = broker.placeholders.get("ANTHROPIC_API_KEY") as string;
    const before = swaps.length;
    const result = await curl(["-k", "-H", `x-api-key: ${placeholder}`, "https://other.test/"]);
    expect(result.code).toBe(0);
    expect(other.received.at(-1)?.headers["x-api-key"]).toBe(placeholder);
    expect(swaps.length).toBe(before);
  });

  test("plain HTTP to a declared host is refused", async () => {
    const result = await curl(["-i", "http://api.anthropic.com/"]);
    expect(result.out).toContain("403");
    expect(result.out).toContain("plain HTTP to api.anthropic.com refused");
  });

  test("SSE arrives chunk by chunk", async () => {
    const started = Date.now();
    const child = Bun.spawn(["curl", "-sSN", "https://api.anthropic.com/sse"], {
      env: { PATH: process.env.PATH ?? "", ...broker.env },
      stdout: "pipe",
    });
    const times: number[] = [];
    const decoder = new TextDecoder();
    let text = "";
    for await (const chunk of child.stdout) {
      text += decoder.decode(chunk);
      const events = text.split("\n\n").length - 1;
      while (times.length < events) times.push(Date.now() - started);
    }
    await child.exited;
    expect(times.length).toBe(20);
    expect((times[19] as number) - (times[0] as number)).toBeGreaterThan(700);
  });

  test("without the proxy credential: 407", async () => {
    const port = Number(new URL(broker.env.HTTPS_PROXY as string).port);
    const socket = connect(port, "127.0.0.1");
    const chunks: Buffer[] = [];
    socket.on("data", (chunk) => chunks.push(Buffer.from(chunk)));
    socket.write("CONNECT api.anthropic.com:443 HTTP/1.1\r\nHost: api.anthropic.com:443\r\n\r\n");
    await new Promise((done) => socket.on("close", done));
    expect(Buffer.concat(chunks).toString()).toStartWith("HTTP/1.1 407");
  });

  test("a value that cannot be fetched: 502, the variable reported, nothing forwarded", async () => {
    const placeholder = broker.placeholders.get("BROKEN_KEY") as string;
    const result = await curl(["-i", "-H", `x-api-key: ${placeholder}`, "https://broken.test/"]);
    expect(result.out).toContain("502");
    expect(result.out).toContain("the brokered secret could not be fetched");
    expect(errors).toEqual(["BROKEN_KEY"]);
  });

  test("an unreachable upstream: 502 naming the host, never the request", async () => {
    const placeholder = broker.placeholders.get("DOWN_KEY") as string;
    const result = await curl(["-i", `https://api.down.test/x?k=${placeholder}`]);
    expect(result.out).toContain("502");
    expect(result.out).toContain("kpm broker: upstream api.down.test failed");
    expect(result.out).not.toContain("down-value");
  });

  test("plain HTTP to another host is forwarded without the proxy credential", async () => {
    const result = await curl(["http://plain.test/hello"]);
    expect(result.out).toBe("plain /hello null");
  });

  test("malformed requests get one clear answer", async () => {
    expect(await raw("nonsense\r\n\r\n")).toStartWith("HTTP/1.1 400");
    expect(await raw(`CONNECT bad:99999 HTTP/1.1\r\n${authorization()}\r\n`)).toContain("bad CONNECT target");
    expect(await raw(`GET /relative HTTP/1.1\r\n${authorization()}\r\n`)).toContain(
      "needs an absolute http:// URL",
    );
    expect(await raw(`GET https://a.test/ HTTP/1.1\r\n${authorization()}\r\n`)).toContain(
      "only http:// URLs",
    );
    expect(await raw(`GET / HTTP/1.1\r\nbad header\r\n\r\n`)).toStartWith("HTTP/1.1 400");
    expect(await raw(`GET / HTTP/1.1\r\nX: ${"a".repeat(70 * 1024)}`)).toStartWith("HTTP/1.1 431");
  });

  test("a large response to a slow reader arrives whole (backpressure both hops)", async () => {
    const size = 8 * 1024 * 1024;
    for (const host of ["other.test", "api.anthropic.com"]) {
      const result = await curl([
        "-k",
        "--limit-rate",
        "16M",
        "-o",
        "/dev/null",
        "-w",
        "%{size_download}",
        `https://${host}/big?n=${size}`,
      ]);
      expect(result.out).toBe(String(size));
    }
  });

  test("a placeholder sent to a host declared only for another variable is not swapped", async () => {
    const placeholder = broker.placeholders.get("ANTHROPIC_API_KEY") as string;
    const before = { swaps: swaps.length, resolves };
    await curl(["-i", "-H", `x-api-key: ${placeholder}`, "https://broken.test/"]);
    expect({ swaps: swaps.length, resolves }).toEqual(before);
  });
});
