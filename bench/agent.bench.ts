// The per-user agent (docs/agent.md, issue 17): whole-process `kpm get` and template-mode `kpm run`
// (10 secrets) with the agent warm and without it (KPM_NO_AGENT=1), against a compiled hello world,
// in interleaved rounds; the agent's RSS and its answer time over the socket. When the reference
// peers exist (/tmp/peers/bin/{kpm,agentkms-dev}, built by ../shared/peers/build-peers.sh) it also
// starts the real agentkms-dev and prints kpm/Go ratios; without them only the rows above.
// Imported by the bench runner; `bun bench/agent.bench.ts` prints its rows.
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { AgentConnection, agentSocketPath } from "@kpm/agent";
import { createClient } from "@kpm/agentkms-client";
import { enroll, setDevSecret, startDevServer } from "@kpm/agentkms-dev";
import { compileKpm, compileSource } from "./compile.ts";
import type { BenchRow } from "./run.ts";
import { median, round } from "./stats.ts";

const RUNS = 31;
const WARMUP = 3;
const SECRETS = 10;
const PEERS = "/tmp/peers/bin";
const HELLO = 'await Bun.write(Bun.stdout, "hello");\n';
/**
 * The least a cold `kpm get llm/anthropic` can be in Bun: read the three PEM files (Bun.file, no
 * node:fs), one TLS 1.3-only FetchSession, POST /auth/session, GET the credential, print it. The
 * same two requests kpm and Go kpm make; nothing checked, nothing worded.
 */
const TLS_FLOOR = `const env = process.env;
const pem = (path) => Bun.file(path ?? "").text();
const [cert, key, ca] = await Promise.all([pem(env.FLOOR_CERT), pem(env.FLOOR_KEY), pem(env.FLOOR_CA)]);
const session = new Bun.FetchSession({
  tls: { cert, key, ca, secureOptions: 0x04000000 | 0x10000000 | 0x08000000 },
  proxy: false,
});
const auth = await session.fetch(env.FLOOR_SERVER + "/auth/session", { method: "POST" });
const { token } = await auth.json();
const read = await session.fetch(env.FLOOR_SERVER + "/credentials/llm/anthropic", {
  headers: { Authorization: "Bearer " + token },
});
await Bun.write(Bun.stdout, (await read.json()).api_key);
`;

interface Target {
  files: { server: string; cert: string; key: string; ca: string };
}

type Timed = () => Promise<number>;

async function timeProcess(argv: string[], env: Record<string, string>, expected: (out: string) => boolean) {
  const started = performance.now();
  const child = Bun.spawn(argv, { env, stdin: "ignore", stdout: "pipe", stderr: "pipe" });
  const [stdout, code] = await Promise.all([new Response(child.stdout).text(), child.exited]);
  const elapsed = performance.now() - started;
  if (code !== 0 || !expected(stdout))
    throw new Error(
      `${argv.join(" ")} → exit ${code}: ${stdout.slice(0, 200)} ${await new Response(child.stderr).text()}`,
    );
  return elapsed;
}

/** Runs every measurement once per round, in an order rotated each round; medians after WARMUP. */
async function interleaved(named: Record<string, Timed>): Promise<Record<string, number>> {
  const names = Object.keys(named);
  const samples: Record<string, number[]> = Object.fromEntries(names.map((name) => [name, []]));
  for (let round = 0; round < WARMUP + RUNS; round++) {
    for (let index = 0; index < names.length; index++) {
      const name = names[(index + round) % names.length] as string;
      const elapsed = await (named[name] as Timed)();
      if (round >= WARMUP) samples[name]?.push(elapsed);
    }
  }
  return Object.fromEntries(names.map((name) => [name, median(samples[name] ?? [])]));
}

function writeHome(home: string, target: Target, template: string): void {
  mkdirSync(join(home, ".config", "kpm"), { recursive: true, mode: 0o700 });
  const { server, cert, key, ca } = target.files;
  writeFileSync(
    join(home, ".config", "kpm", "config.yaml"),
    `server: ${server}\ncert: ${cert}\nkey: ${key}\nca: ${ca}\n`,
    {
      mode: 0o600,
    },
  );
  writeFileSync(join(home, "app.template"), template);
}

/** `KEY0=${kms:llm/anthropic}` and nine kv references: what `run` resolves per start. */
function template(): string {
  // biome-ignore lint/suspicious/noTemplateCurlyInString: a template reference, spelled literally
  const lines = ["KEY0=${kms:llm/anthropic}"];
  for (let index = 1; index < SECRETS; index++) lines.push(`KEY${index}=\${kms:kv/bench/s${index}#value}`);
  return `${lines.join("\n")}\n`;
}

async function seed(dir: string): Promise<void> {
  await setDevSecret(dir, "llm/anthropic", { api_key: "sk-bench-0123456789" });
  for (let index = 1; index < SECRETS; index++)
    await setDevSecret(dir, `generic/bench/s${index}`, { value: `bench-value-${index}` });
}

function agentPid(runtimeDir: string): number | null {
  try {
    return Number(readFileSync(join(runtimeDir, "agent.pid"), "utf8").trim());
  } catch {
    return null;
  }
}

function rssMb(pid: number): number {
  const match = /^VmRSS:\s+(\d+) kB$/m.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
  return match ? Number(match[1]) / 1024 : Number.NaN;
}

/** Median round trip of a cached `fetchLLM` over the agent socket, measured in this process. */
async function socketRoundTrip(runtimeDir: string, target: Target): Promise<number> {
  const connection = await AgentConnection.open(agentSocketPath(runtimeDir));
  if (connection === null) throw new Error("no agent to measure");
  const times: number[] = [];
  try {
    for (let index = 0; index < 220; index++) {
      const started = performance.now();
      const answer = await connection.request({
        op: "call",
        settings: target.files,
        method: "fetchLLM",
        args: ["anthropic"],
      });
      if (!("value" in answer)) throw new Error(`agent answered ${JSON.stringify(answer)}`);
      if (index >= 20) times.push(performance.now() - started);
    }
  } finally {
    connection.close();
  }
  return median(times);
}

/** kpm warm (agent), kpm cold, and the extra commands given, interleaved; the agent is stopped after. */
async function measure(
  kpm: string,
  work: string,
  target: Target,
  extra: Record<string, Timed>,
): Promise<{ medians: Record<string, number>; rss: number; roundTrip: number }> {
  const home = join(work, `home-${Math.random().toString(16).slice(2)}`);
  const temp = join(home, "t");
  writeHome(home, target, template());
  mkdirSync(temp, { mode: 0o700 });
  const warmEnv = { PATH: process.env.PATH ?? "/usr/bin:/bin", HOME: home, TMPDIR: temp };
  const coldEnv = { ...warmEnv, KPM_NO_AGENT: "1" };
  const runtimeDir = join(temp, `kpm-${process.getuid?.() ?? 0}`);
  const isKey = (out: string) => out === "sk-bench-0123456789";
  const ran = (out: string) => out === "";
  const run = [kpm, "run", "--from", join(home, "app.template"), "--", "true"];
  await timeProcess([kpm, "agent", "start"], warmEnv, () => true);
  try {
    const medians = await interleaved({
      "get warm": () => timeProcess([kpm, "get", "llm/anthropic"], warmEnv, isKey),
      "get cold": () => timeProcess([kpm, "get", "llm/anthropic"], coldEnv, isKey),
      "run warm": () => timeProcess(run, warmEnv, ran),
      "run cold": () => timeProcess(run, coldEnv, ran),
      ...extra,
    });
    const pid = agentPid(runtimeDir);
    const rss = pid === null ? Number.NaN : rssMb(pid);
    const roundTrip = await socketRoundTrip(runtimeDir, target);
    return { medians, rss, roundTrip };
  } finally {
    await timeProcess([kpm, "agent", "stop"], warmEnv, () => true).catch(() => 0);
  }
}

/** The real agentkms-dev v0.3.1 on a free loopback port, rate limit off (Go kpm re-vends each call). */
async function startPeerServer(work: string): Promise<{ target: Target; stop: () => Promise<void> }> {
  const home = join(work, "peer-home");
  mkdirSync(home, { recursive: true });
  const env = { PATH: process.env.PATH ?? "/usr/bin:/bin", HOME: home };
  const enrolled = Bun.spawnSync([join(PEERS, "agentkms-dev"), "enroll"], {
    env,
    stdout: "pipe",
    stderr: "pipe",
  });
  if (enrolled.exitCode !== 0) throw new Error(`agentkms-dev enroll: ${enrolled.stderr.toString()}`);
  const set = (path: string, field: string) => {
    const done = Bun.spawnSync([join(PEERS, "agentkms-dev"), "secrets", "set", path, field], {
      env,
      stdout: "pipe",
      stderr: "pipe",
    });
    if (done.exitCode !== 0) throw new Error(`agentkms-dev secrets set ${path}: ${done.stderr.toString()}`);
  };
  set("llm/anthropic", "api_key=sk-bench-0123456789");
  for (let index = 1; index < SECRETS; index++) set(`generic/bench/s${index}`, `value=bench-value-${index}`);
  const port = 20000 + Math.floor(Math.random() * 20000);
  const child = Bun.spawn(
    [join(PEERS, "agentkms-dev"), "serve", "--addr", `127.0.0.1:${port}`, "--rate-limit", "0"],
    {
      env,
      stdin: "ignore",
      stdout: "ignore",
      stderr: "ignore",
    },
  );
  const dev = join(home, ".agentkms", "dev");
  const target: Target = {
    files: {
      server: `https://127.0.0.1:${port}`,
      cert: join(dev, "clients", "forge-gateway", "client.crt"),
      key: join(dev, "clients", "forge-gateway", "client.key"),
      ca: join(dev, "clients", "forge-gateway", "ca.crt"),
    },
  };
  if (!existsSync(target.files.ca)) target.files.ca = join(dev, "ca.crt");
  const client = createClient(target.files);
  const deadline = Date.now() + 10_000;
  while (!(await client.healthz().catch(() => false))) {
    if (Date.now() > deadline) throw new Error("agentkms-dev did not become healthy");
    await Bun.sleep(50);
  }
  client.close();
  return {
    target,
    stop: async () => {
      child.kill("SIGTERM");
      await child.exited;
    },
  };
}

export async function run(): Promise<BenchRow[]> {
  const work = mkdtempSync(join(tmpdir(), "kpm-agent-bench-"));
  const rows: BenchRow[] = [];
  const ms = (name: string, value: number, note = `median of ${RUNS}, interleaved`) =>
    rows.push({ name, value: round(value), unit: "ms", note });
  const ratio = (name: string, value: number, note: string) =>
    rows.push({ name, value: round(value), unit: "x", note });
  try {
    const kpm = compileKpm(work);
    const hello = compileSource(work, "hello", HELLO);
    const helloRun: Timed = () =>
      timeProcess([hello], { PATH: process.env.PATH ?? "/usr/bin:/bin" }, (out) => out === "hello");

    const dir = join(work, "dev");
    await enroll(dir);
    await seed(dir);
    const server = await startDevServer({ dir, host: "127.0.0.1", port: 0, log: () => {} });
    try {
      const target: Target = {
        files: {
          server: `https://127.0.0.1:${server.port}`,
          cert: join(dir, "clients", "forge-gateway", "client.crt"),
          key: join(dir, "clients", "forge-gateway", "client.key"),
          ca: join(dir, "ca.crt"),
        },
      };
      const { medians, rss, roundTrip } = await measure(kpm, work, target, { hello: helloRun });
      const m = (name: string) => medians[name] ?? Number.NaN;
      ms("kpm get, agent warm (embedded dev server)", m("get warm"));
      ms("kpm get, no agent", m("get cold"));
      ms(`kpm run, ${SECRETS} secrets, agent warm`, m("run warm"));
      ms(`kpm run, ${SECRETS} secrets, no agent`, m("run cold"));
      ms("compiled Bun hello world", m("hello"));
      ratio("kpm get warm / hello world", m("get warm") / m("hello"), "target ≤ 1.15");
      ratio("kpm get warm / no agent", m("get warm") / m("get cold"), "");
      rows.push({ name: "agent RSS after the runs", value: round(rss), unit: "MB", note: "target ≤ 60" });
      ms(
        "agent answer over the socket (cached fetchLLM)",
        roundTrip,
        "median of 200 round trips; target ≤ 1",
      );
    } finally {
      await server.close(0);
    }

    if (!existsSync(join(PEERS, "kpm")) || !existsSync(join(PEERS, "agentkms-dev"))) {
      rows.push({
        name: "kpm / Go kpm",
        value: Number.NaN,
        unit: "",
        note: `skipped: no ${PEERS}/{kpm,agentkms-dev}`,
      });
      return rows;
    }
    const peer = await startPeerServer(work);
    try {
      const goHome = join(work, "go-home");
      writeHome(goHome, peer.target, template());
      const goEnv = { PATH: process.env.PATH ?? "/usr/bin:/bin", HOME: goHome };
      const go = join(PEERS, "kpm");
      const goGet: Timed = () => timeProcess([go, "get", "llm/anthropic"], goEnv, (out) => out.length > 0);
      const goRun: Timed = () =>
        timeProcess(
          [go, "run", "--plaintext", "--from", join(goHome, "app.template"), "--", "true"],
          goEnv,
          () => true,
        );
      const floor = compileSource(work, "tls-floor", TLS_FLOOR);
      const { server, cert, key, ca } = peer.target.files;
      const floorEnv = {
        PATH: goEnv.PATH,
        FLOOR_SERVER: server,
        FLOOR_CERT: cert,
        FLOOR_KEY: key,
        FLOOR_CA: ca,
      };
      const floorGet: Timed = () => timeProcess([floor], floorEnv, (out) => out === "sk-bench-0123456789");
      const { medians } = await measure(kpm, work, peer.target, {
        "go get": goGet,
        "go run": goRun,
        hello: helloRun,
        "tls floor": floorGet,
      });
      const m = (name: string) => medians[name] ?? Number.NaN;
      ms("Go kpm get (real agentkms-dev)", m("go get"));
      ms("Bun floor: 2 mTLS requests (auth, credential), compiled", m("tls floor"));
      ms(`Go kpm run --plaintext, ${SECRETS} secrets`, m("go run"));
      ms("kpm get, agent warm (real agentkms-dev)", m("get warm"));
      ms("kpm get, no agent (real agentkms-dev)", m("get cold"));
      ms(`kpm run, ${SECRETS} secrets, agent warm (real agentkms-dev)`, m("run warm"));
      ms(`kpm run, ${SECRETS} secrets, no agent (real agentkms-dev)`, m("run cold"));
      ratio("kpm get warm / Go get", m("get warm") / m("go get"), "target ≤ 1.0");
      ratio("kpm run warm / Go run", m("run warm") / m("go run"), "target ≤ 1.0");
      ratio("kpm get cold / Go get", m("get cold") / m("go get"), "target ≤ 2.0");
      ratio("kpm run cold / Go run", m("run cold") / m("go run"), "target ≤ 2.0");
      ratio("Bun floor / Go get", m("tls floor") / m("go get"), "what any Bun client pays for the cold get");
      ratio("kpm get cold / Bun floor", m("get cold") / m("tls floor"), "");
    } finally {
      await peer.stop();
    }
    return rows;
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

if (import.meta.main) {
  for (const row of await run()) {
    console.log(`${row.name}: ${row.value} ${row.unit}${row.note ? ` (${row.note})` : ""}`);
  }
}
