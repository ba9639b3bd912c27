// End to end: a running `kpm dev serve` takes registry writes over mTLS (the client library and
// `kpm add` processes) while three `kpm dev secrets set` processes rewrite the same secrets.enc.
// Every acknowledged write must survive: the store lock (cli §15.3) forbids lost updates.
import { afterAll, beforeAll, expect, test } from "bun:test";
import { rmSync } from "node:fs";
import { type AgentKmsClient, createClient } from "@kpm/agentkms-client";
import { SecretStore } from "@kpm/agentkms-dev";
import {
  createSandbox,
  runKpmProcess,
  type Sandbox,
  startDevServerForTest,
  type TestDevServer,
  writeKpmConfig,
} from "./helpers/kpm-env.ts";

const API_WRITERS = 2;
const API_PATHS_PER_WRITER = 3;
/** API writers keep writing until every CLI process is done, and at least this many rounds. */
const API_MIN_ROUNDS = 3;
/** The version history lists the last 10 archived versions (wire §5.1) and the current one. */
const HISTORY_KEPT = 10;
const CLI_WRITERS = 3;
const CLI_WRITES_PER_WRITER = 6;
const KPM_ADDS = 3;

let sandbox: Sandbox;
let server: TestDevServer;
let client: AgentKmsClient;

beforeAll(async () => {
  sandbox = createSandbox();
  server = await startDevServerForTest();
  writeKpmConfig(sandbox.home, server);
  client = createClient({ server: server.addr, ...server.clientFiles });
});

afterAll(async () => {
  client.close();
  await server.stop();
  rmSync(server.dir, { recursive: true, force: true });
  sandbox.cleanup();
});

/**
 * Each writer owns its paths and writes them round after round, recording every acknowledgement,
 * until the CLI writers have finished, so API and CLI writes overlap for the whole test.
 */
async function apiWriter(
  writer: number,
  acked: Map<string, number[]>,
  until: { done: boolean },
): Promise<void> {
  for (let round = 1; round <= API_MIN_ROUNDS || !until.done; round++) {
    for (let index = 0; index < API_PATHS_PER_WRITER; index++) {
      const path = `api${writer}/s${index}`;
      const metadata = await client.writeSecret(path, { value: `${path}@${round}` });
      acked.set(path, [...(acked.get(path) ?? []), metadata.version]);
    }
  }
}

async function cliWriter(writer: number, acked: Map<string, string>): Promise<void> {
  for (let n = 0; n < CLI_WRITES_PER_WRITER; n++) {
    const path = `generic/cli${writer}/k${n}`;
    const value = `${path}#${n}`;
    const result = await runKpmProcess(["dev", "secrets", "set", "--dir", server.dir, path, "v"], {
      env: sandbox.env,
      input: value,
    });
    expect({ path, ...result }).toEqual({
      path,
      code: 0,
      stdout: "",
      stderr: `✓ Stored ${path} (1 fields)\n`,
    });
    acked.set(path, value);
  }
}

async function addWriter(acked: Map<string, string>): Promise<void> {
  for (let n = 0; n < KPM_ADDS; n++) {
    const path = `added/a${n}`;
    const result = await runKpmProcess(["add", path], { env: sandbox.env, input: `${path}!` });
    expect({ path, code: result.code }).toEqual({ path, code: 0 });
    acked.set(path, `${path}!`);
  }
}

test("API writes, kpm add and three kpm dev secrets set processes racing on one store lose no update", async () => {
  const apiAcked = new Map<string, number[]>();
  const cliAcked = new Map<string, string>();
  const addAcked = new Map<string, string>();
  const processes = { done: false };
  const processWriters = Promise.all([
    ...Array.from({ length: CLI_WRITERS }, (_, writer) => cliWriter(writer, cliAcked)),
    addWriter(addAcked),
  ]).finally(() => {
    processes.done = true;
  });
  await Promise.all([
    ...Array.from({ length: API_WRITERS }, (_, writer) => apiWriter(writer, apiAcked, processes)),
    processWriters,
  ]);
  expect(apiAcked.size).toBe(API_WRITERS * API_PATHS_PER_WRITER);
  expect(cliAcked.size).toBe(CLI_WRITERS * CLI_WRITES_PER_WRITER);
  // Overlap, not a sequence: the API writers were still writing when the last process finished.
  expect(Math.min(...[...apiAcked.values()].map((versions) => versions.length))).toBeGreaterThan(
    API_MIN_ROUNDS,
  );

  // Registry writes: each path acknowledged versions 1..N in order, and the server still holds
  // version N with the last value and a contiguous history.
  const rounds = new Map<string, number>();
  for (const [path, versions] of apiAcked) {
    rounds.set(path, versions.length);
    const expected = Array.from({ length: versions.length }, (_, i) => i + 1);
    expect({ path, versions }).toEqual({ path, versions: expected });
    expect(await client.fetchRegistrySecret(path)).toEqual({ value: `${path}@${versions.length}` });
    const history = await client.history(path);
    expect({
      path,
      history: (history.versions ?? []).map((entry) => entry.version).sort((a, b) => a - b),
    }).toEqual({
      path,
      history: expected.slice(-(HISTORY_KEPT + 1)),
    });
  }
  const listed = new Map((await client.listMetadata()).map((item) => [item.path, item.version]));
  for (const [path, count] of rounds)
    expect({ path, version: listed.get(path) }).toEqual({ path, version: count });
  for (const path of addAcked.keys())
    expect({ path, version: listed.get(path) }).toEqual({ path, version: 1 });
  for (const [path, value] of addAcked) expect(await client.fetchRegistrySecret(path)).toEqual({ value });

  // Credential writes from the CLI processes: listed by the CLI, vended by the server.
  const cliList = await runKpmProcess(["dev", "secrets", "list", "--dir", server.dir], { env: sandbox.env });
  expect(cliList.code).toBe(0);
  const cliPaths = new Set(cliList.stdout.trimEnd().split("\n"));
  for (const [path, value] of cliAcked) {
    expect({ path, listed: cliPaths.has(`kv/data/${path}`) }).toEqual({ path, listed: true });
    expect(await client.fetchGeneric(path.slice("generic/".length))).toEqual({ v: value });
  }
  expect(cliPaths.has(`kv/data/secrets/${[...apiAcked.keys()][0]}`)).toBe(true);

  // The file itself decrypts and holds every acknowledged write: the current value, and each
  // earlier version archived under /v<N> (wire §5.2) with the value of its round.
  const kv = new SecretStore(server.dir).read();
  for (const [path, value] of cliAcked)
    expect({ path, fields: kv.get(`kv/data/${path}`) }).toEqual({ path, fields: { v: value } });
  for (const [path, count] of rounds) {
    expect(kv.get(`kv/data/secrets/${path}`)).toEqual({ value: `${path}@${count}` });
    for (let version = 1; version < count; version++) {
      expect({ path, version, archived: kv.get(`kv/data/secrets/${path}/v${version}`) }).toEqual({
        path,
        version,
        archived: { value: `${path}@${version}` },
      });
    }
  }
}, 60_000);
