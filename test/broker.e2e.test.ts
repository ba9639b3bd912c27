// The credential broker end to end (docs/broker.md, issue 16): the compiled dist/kpm against a
// real `kpm dev serve`, two local HTTPS upstreams (api.anthropic.com and other.test, reached
// through `broker.resolve` and trusted through `broker.upstream_ca`) that record what they get,
// and a tool that uses its key with curl, Node and Python. The tool only ever holds the
// placeholder; the declared upstream receives the real value; nothing else does.
// biome-ignore-all lint/suspicious/noTemplateCurlyInString: templates spell ${kms:…} literally
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import {
  appendFileSync,
  copyFileSync,
  existsSync,
  mkdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { join } from "node:path";
import { makeRunCertificates } from "@kpm/broker";
import {
  type Fixture,
  filesUnder,
  type KpmResult,
  readAuditEvents,
  runKpmProcess,
  startFixture,
  vendedKeys,
} from "./helpers/kpm-env.ts";
import { ensureCompiledBinary } from "./helpers/run-kpm.ts";

const REAL = "sk-ant-BROKERMARKER-real-0123456789";
const FIXTURES = join(import.meta.dir, "fixtures/broker");

interface Received {
  path: string;
  headers: Record<string, string>;
}

function upstream(certs: { leafPem: string; leafKeyPem: string }) {
  const received: Received[] = [];
  const server = Bun.serve({
    hostname: "127.0.0.1",
    port: 0,
    tls: { cert: certs.leafPem, key: certs.leafKeyPem },
    fetch: (request) => {
      const url = new URL(request.url);
      const headers = Object.fromEntries(request.headers);
      received.push({ path: url.pathname + url.search, headers });
      if (url.pathname === "/sse") {
        let count = 0;
        const stream = new ReadableStream({
          async pull(controller) {
            if (count === 20) return controller.close();
            if (count > 0) await Bun.sleep(50);
            controller.enqueue(new TextEncoder().encode(`data: ${count++}\n\n`));
          },
        });
        return new Response(stream, { headers: { "content-type": "text/event-stream" } });
      }
      // Echoes what it received, as careless APIs do in errors: the broker must mask it.
      return Response.json({
        path: url.pathname + url.search,
        key: headers["x-api-key"],
        auth: headers.authorization,
      });
    },
  });
  return { port: server.port as number, received, stop: () => server.stop(true) };
}

let fixture: Fixture;
let api: ReturnType<typeof upstream>;
let other: ReturnType<typeof upstream>;
let bin: string;
let template: string;
let auditLog: string;
let upstreamCa: string;

async function runTool(flags: string[]): Promise<{ result: KpmResult; audit: string }> {
  rmSync(auditLog, { force: true });
  const result = await runKpmProcess(
    ["run", "--secure", ...flags, "--no-masking", "--from", template, "--", "claude"],
    {
      env: {
        ...fixture.sandbox.env,
        PATH: `${bin}:${fixture.sandbox.env.PATH}`,
        KPM_AUDIT_LOG: auditLog,
        FIXTURES: join(fixture.sandbox.root, "fixtures"),
        UPSTREAM_CA: upstreamCa,
      },
      cwd: fixture.sandbox.home,
      binary: true,
    },
  );
  return { result, audit: existsSync(auditLog) ? readFileSync(auditLog, "utf8") : "" };
}

function section(stdout: string, name: string): string {
  return stdout.split(`${name}-BEGIN\n`)[1]?.split(`${name}-END`)[0] ?? "";
}

function line(stdout: string, prefix: string): string {
  return stdout.split("\n").find((text) => text.startsWith(`${prefix} `)) ?? "";
}

function swaps(audit: string): Array<Record<string, string>> {
  return audit
    .split("\n")
    .filter((text) => text.length > 0)
    .map((text) => JSON.parse(text) as Record<string, string>)
    .filter((record) => record.action === "broker_swap");
}

beforeAll(async () => {
  ensureCompiledBinary();
  const certs = await makeRunCertificates(["api.anthropic.com", "other.test"]);
  api = upstream(certs);
  other = upstream(certs);
  fixture = await startFixture({ "llm/anthropic": { api_key: REAL } });
  const root = fixture.sandbox.root;
  bin = join(root, "bin");
  mkdirSync(bin);
  copyFileSync(join(FIXTURES, "tool.sh"), join(bin, "claude"));
  mkdirSync(join(root, "fixtures"));
  for (const file of ["node-client.cjs", "python-client.py"])
    copyFileSync(join(FIXTURES, file), join(root, "fixtures", file));
  upstreamCa = join(root, "upstream-ca.pem");
  writeFileSync(upstreamCa, certs.caPem);
  template = join(root, "claude.template");
  writeFileSync(template, "ANTHROPIC_API_KEY=${kms:llm/anthropic}\n");
  auditLog = join(root, "audit.ndjson");
  writeFileSync(
    join(fixture.sandbox.home, ".config/kpm/secure-allowlist.yaml"),
    "claude:\n  ANTHROPIC_API_KEY: {ref: llm/anthropic, hosts: [api.anthropic.com]}\n",
  );
  appendFileSync(
    join(fixture.sandbox.home, ".config/kpm/config.yaml"),
    [
      "broker:",
      "  resolve:",
      `    api.anthropic.com: "127.0.0.1:${api.port}"`,
      `    other.test: "127.0.0.1:${other.port}"`,
      `  upstream_ca: ${upstreamCa}`,
      "",
    ].join("\n"),
  );
});

afterAll(async () => {
  await fixture?.close();
  await api?.stop();
  await other?.stop();
});

describe("kpm run --secure with a brokered key", () => {
  test("the tool holds only the placeholder; the declared upstream alone receives the real value", async () => {
    const vendsBefore = vendedKeys(readAuditEvents(fixture.server)).length;
    api.received.length = 0;
    other.received.length = 0;
    const { result, audit } = await runTool(["--verbose"]);
    const informational = /^(?:✓|kpm_env |kpm_audit |kpm: --secure: |$)/;
    expect(result.stderr.split("\n").filter((text) => !informational.test(text))).toEqual([]);
    expect(result.code).toBe(0);
    const { stdout, stderr } = result;

    // What the tool holds: the placeholder, the proxy with its credential, the bundle.
    const env = Object.fromEntries(
      section(stdout, "ENV")
        .split("\n")
        .filter((text) => text.includes("="))
        .map((text) => [text.slice(0, text.indexOf("=")), text.slice(text.indexOf("=") + 1)]),
    );
    const placeholder = env.ANTHROPIC_API_KEY ?? "";
    expect(placeholder).toMatch(/^kpm-broker-[0-9a-f]{32}$/);
    expect(section(stdout, "PROC")).toContain(`ANTHROPIC_API_KEY=${placeholder}`);
    expect(env.HTTPS_PROXY).toMatch(/^http:\/\/kpm:[0-9a-f]+@127\.0\.0\.1:\d+$/);
    for (const name of ["HTTP_PROXY", "https_proxy", "http_proxy"]) expect(env[name]).toBe(env.HTTPS_PROXY);
    expect(env.NO_PROXY).toBe("localhost,127.0.0.1,::1");
    for (const name of [
      "NODE_EXTRA_CA_CERTS",
      "SSL_CERT_FILE",
      "REQUESTS_CA_BUNDLE",
      "CURL_CA_BUNDLE",
      "GIT_SSL_CAINFO",
    ])
      expect(env[name]).toBe(env.SSL_CERT_FILE);
    // The run's CA key is never on disk: the bundle holds certificates only, and goes at exit.
    expect(line(stdout, "BUNDLE-FILES")).toBe("BUNDLE-FILES ca-bundle.pem ");
    expect(line(stdout, "BUNDLE-PRIVATE")).toBe("BUNDLE-PRIVATE 0");
    expect(existsSync(line(stdout, "BUNDLE-DIR").slice("BUNDLE-DIR ".length))).toBe(false);

    // curl, Node and Python reach the declared upstream, which gets the real value.
    const byPath = (path: string) => api.received.find((item) => item.path.startsWith(path));
    expect(byPath("/v1/curl")?.headers["x-api-key"]).toBe(REAL);
    expect(byPath("/v1/curl")?.path).toBe(`/v1/curl?key=${REAL}`);
    expect(byPath("/v1/node")?.headers.authorization).toBe(`Bearer ${REAL}`);
    expect(byPath("/v1/python")?.headers["x-api-key"]).toBe(REAL);
    expect(byPath("/v1/curl")?.headers.host).toBe("api.anthropic.com");
    // Its echo comes back as the placeholder.
    expect(line(stdout, "CURL")).toContain(placeholder);
    expect(line(stdout, "NODE")).toStartWith("NODE 200 ");
    expect(line(stdout, "NODE")).toContain(`Bearer ${placeholder}`);
    expect(line(stdout, "PYTHON")).toStartWith("PYTHON 200 ");

    // Another host is a plain tunnel: it gets the placeholder.
    expect(other.received.map((item) => item.headers["x-api-key"])).toEqual([placeholder]);
    // Plain HTTP to the declared host is refused; no proxy credential is refused.
    expect(line(stdout, "PLAIN")).toContain("plain HTTP to api.anthropic.com refused");
    expect(byPath("/v1/plain")).toBeUndefined();
    expect(line(stdout, "NOAUTH")).toBe("NOAUTH 407");
    expect(byPath("/v1/noauth")).toBeUndefined();

    // SSE: 20 events, arriving as produced (spread over ~950 ms, not in one burst).
    const times = stdout
      .split("\n")
      .filter((text) => text.startsWith("SSE "))
      .map((text) => Number(text.split(" ")[1]));
    expect(times.length).toBe(20);
    expect((times[19] as number) - (times[0] as number)).toBeGreaterThan(700);

    // One audit record per swap (curl, node, python, sse), never the value; one vend for the run.
    const records = swaps(audit);
    expect(records.map((record) => record.path).sort()).toEqual([
      "/sse",
      "/v1/curl",
      "/v1/node",
      "/v1/python",
    ]);
    expect(records[0]).toMatchObject({
      tool: "claude",
      var: "ANTHROPIC_API_KEY",
      ref: "llm/anthropic",
      host: "api.anthropic.com",
      mode: "default",
    });
    expect(vendedKeys(readAuditEvents(fixture.server)).length - vendsBefore).toBe(1);
    expect(stderr).toContain("✓ Brokered ANTHROPIC_API_KEY (llm/anthropic) → api.anthropic.com");
    expect(stderr).toContain(
      "kpm_env tool=claude var=ANTHROPIC_API_KEY source=broker ref=llm/anthropic hosts=api.anthropic.com",
    );
    const inheritedLine = stderr.split("\n").find((text) => text.includes("source=inherited count=")) ?? "";
    expect(inheritedLine).not.toContain("HTTPS_PROXY");
    expect(inheritedLine).not.toContain("ANTHROPIC_API_KEY");
    const envRecords = audit.split("\n").filter((text) => text.includes('"secure_env"'));
    expect(JSON.parse(envRecords[0] ?? "{}").brokered).toEqual([
      { var: "ANTHROPIC_API_KEY", ref: "llm/anthropic", hosts: ["api.anthropic.com"] },
    ]);

    // The real value is in no output and no file of the sandbox.
    expect(stdout).not.toContain(REAL);
    expect(stderr).not.toContain(REAL);
    expect(audit).not.toContain(REAL);
    for (const file of filesUnder(fixture.sandbox.root))
      expect(readFileSync(file).toString("latin1").includes(REAL), file).toBe(false);
  }, 60000);

  test("with --strict each swap is one AgentKMS round trip", async () => {
    const before = readAuditEvents(fixture.server).length;
    const { result, audit } = await runTool(["--strict"]);
    expect(result.code).toBe(0);
    const records = swaps(audit);
    expect(records.length).toBe(4);
    expect(records.every((record) => record.mode === "strict")).toBe(true);
    const vends = vendedKeys(readAuditEvents(fixture.server).slice(before));
    expect(vends.length).toBe(records.length);
    expect(result.stdout).not.toContain(REAL);
  }, 60000);

  test("a brokered key the tool never uses is never fetched", async () => {
    const quiet = join(bin, "quiet");
    writeFileSync(quiet, '#!/bin/sh\necho "$ANTHROPIC_API_KEY"\n', { mode: 0o755 });
    writeFileSync(
      join(fixture.sandbox.home, ".config/kpm/secure-allowlist.yaml"),
      "quiet:\n  ANTHROPIC_API_KEY: {ref: llm/anthropic, hosts: [api.anthropic.com]}\n",
    );
    const before = readAuditEvents(fixture.server).length;
    const result = await runKpmProcess(["run", "--secure", "--from", template, "--", "quiet"], {
      env: { ...fixture.sandbox.env, PATH: `${bin}:${fixture.sandbox.env.PATH}` },
      cwd: fixture.sandbox.home,
      binary: true,
    });
    expect(result.code).toBe(0);
    expect(result.stdout.trim()).toMatch(/^kpm-broker-[0-9a-f]{32}$/);
    expect(vendedKeys(readAuditEvents(fixture.server).slice(before))).toEqual([]);
  });

  test("without brokering (a plain pin) the attack works: the tool holds the real key", async () => {
    writeFileSync(
      join(fixture.sandbox.home, ".config/kpm/secure-allowlist.yaml"),
      "quiet:\n  ANTHROPIC_API_KEY: llm/anthropic\n",
    );
    const result = await runKpmProcess(
      ["run", "--secure", "--no-masking", "--from", template, "--", "quiet"],
      {
        env: { ...fixture.sandbox.env, PATH: `${bin}:${fixture.sandbox.env.PATH}` },
        cwd: fixture.sandbox.home,
        binary: true,
      },
    );
    expect(result.code).toBe(0);
    expect(result.stdout.trim()).toBe(REAL);
  });
});
