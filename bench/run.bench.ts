// `kpm run -- true` with 10 secrets (compiled dist/kpm), in template mode and in env-scan mode,
// each against a floor: a compiled Bun program built with the same flags as scripts/build.ts
// that does the same I/O and nothing else. Medians of ≥ 10 runs, ratio = kpm / floor. Each mode
// also runs with KPM_TEST_UNHARDENED=1 (child spawned directly): the difference is the cost of
// the exec step that makes the child die with kpm (docs/security.md).
// Run alone: bun bench/run.bench.ts (builds dist/kpm when missing).
// biome-ignore-all lint/suspicious/noTemplateCurlyInString: templates spell ${kms:…} references literally

import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import {
  createSandbox,
  KPM_BINARY,
  parseShellExports,
  REPO_ROOT,
  runKpmProcess,
  seedCredential,
  startDevServerForTest,
  stopListeners,
  writeKpmConfig,
} from "../test/helpers/kpm-env.ts";
import { compileKpm, compileSource } from "./compile.ts";
import type { BenchRow } from "./run.ts";
import { median } from "./stats.ts";

const SECRETS = 10;
const WARMUP = 3;
const RUNS = 41;

// How the secret floors spawn the child: with its stdout and stderr piped through the floor, as
// kpm pipes them when its own output is not a terminal (§10 masking; the benchmark reads kpm's
// output through pipes). Writers are opened on the first byte, as kpm does; `true` writes none.
// Each floor is also built with the child's stdio inherited, and that ratio is printed too.
const SPAWN_PIPED = `
const child = Bun.spawn([Bun.which("true")], { env: childEnv, stdin: "inherit", stdout: "pipe", stderr: "pipe" });
async function drain(stream, open) {
  const reader = stream.getReader();
  let sink;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) return;
    sink ??= open();
    sink.write(value);
    await sink.flush();
  }
}
const drained = Promise.all([drain(child.stdout, () => Bun.stdout.writer()), drain(child.stderr, () => Bun.stderr.writer())]);
const code = await child.exited;
await drained;
process.exit(code);`;

const SPAWN_INHERITED = `
const child = Bun.spawn([Bun.which("true")], { env: childEnv, stdio: ["inherit", "inherit", "inherit"] });
process.exit(await child.exited);`;

// Template-mode floor: read the three PEM files, authenticate, GET each secret over one
// TLS 1.3 connection (sequential requests reuse it), then spawn the child.
const templateFloor = (spawn: string) => `
import { readFileSync } from "node:fs";
const env = process.env;
const session = new Bun.FetchSession({
  tls: {
    ca: readFileSync(env.FLOOR_CA),
    cert: readFileSync(env.FLOOR_CERT),
    key: readFileSync(env.FLOOR_KEY),
    // SSL_OP_NO_TLSv1 | SSL_OP_NO_TLSv1_1 | SSL_OP_NO_TLSv1_2, spelled out as kpm does: importing
    // node:crypto for the constants costs ~2 ms and would flatter kpm.
    secureOptions: 0x04000000 | 0x10000000 | 0x08000000,
  },
  proxy: false,
});
const server = env.FLOOR_SERVER;
const auth = await session.fetch(server + "/auth/session", { method: "POST" });
const { token } = await auth.json();
const childEnv = { ...env };
for (let i = 0; i < ${SECRETS}; i++) {
  const response = await session.fetch(server + "/credentials/generic/bench/s" + i, {
    headers: { Authorization: "Bearer " + token },
  });
  const body = await response.json();
  childEnv["S" + i] = body.secrets.value;
}
${spawn}
`;

// Env-scan floor: one Unix-socket round trip per blob in the environment (concurrently, as
// kpm does), then spawn the child.
const envScanFloor = (spawn: string) => `
const env = process.env;
const socketPath = env.KPM_DECRYPT_SOCK;
function decrypt(blob) {
  return new Promise((resolve, reject) => {
    let received = "";
    Bun.connect({
      unix: socketPath,
      socket: {
        open(socket) { socket.write(JSON.stringify({ ciphertext: blob }) + "\\n"); },
        data(socket, chunk) {
          received += new TextDecoder().decode(chunk);
          if (received.includes("\\n")) { socket.end(); resolve(JSON.parse(received).plaintext); }
        },
        error(_socket, error) { reject(error); },
        connectError(_socket, error) { reject(error); },
      },
    }).catch(reject);
  });
}
const childEnv = { ...env };
const names = Object.keys(env).filter((name) => env[name].startsWith("ENC[kpm:"));
const values = await Promise.all(names.map((name) => decrypt(env[name])));
names.forEach((name, i) => { childEnv[name] = values[i]; });
${spawn}
`;

// Process floor: a compiled Bun program that only spawns the child (with no secrets kpm has
// nothing to mask, so the child's stdio is inherited).
const SPAWN_FLOOR = `
const child = Bun.spawn([Bun.which("true")], { stdio: ["inherit", "inherit", "inherit"] });
process.exit(await child.exited);
`;

export function ensureKpmBinary(): void {
  if (existsSync(KPM_BINARY)) return;
  const built = Bun.spawnSync([process.execPath, join(REPO_ROOT, "scripts/build.ts")], { cwd: REPO_ROOT });
  if (built.exitCode !== 0) throw new Error(`build failed: ${built.stderr.toString()}`);
}

export interface Command {
  argv: string[];
  env: Record<string, string>;
  cwd: string;
}

/** Wall time (ms) of one run to completion; it must exit 0. Asynchronous, so this process keeps
 * draining the dev server's log pipe (a full pipe would stall the server). */
async function timeOnce({ argv, env, cwd }: Command): Promise<number> {
  const start = Bun.nanoseconds();
  const child = Bun.spawn(argv, { env, cwd, stdin: "ignore", stdout: "pipe", stderr: "pipe" });
  const [, stderr, exitCode] = await Promise.all([
    new Response(child.stdout).arrayBuffer(),
    new Response(child.stderr).text(),
    child.exited,
  ]);
  const elapsed = (Bun.nanoseconds() - start) / 1e6;
  if (exitCode !== 0) throw new Error(`${argv.join(" ")} exited ${exitCode}: ${stderr}`);
  return elapsed;
}

/** Medians of commands run in alternation, so load drift on a shared machine hits them alike. */
export async function medians(commands: Command[], runs = RUNS): Promise<number[]> {
  const samples: number[][] = commands.map(() => []);
  for (let i = 0; i < WARMUP + runs; i++) {
    // The order flips every round, so no command always runs first (after the pause between
    // rounds) or always right after another one.
    const order = [...commands.keys()];
    if (i % 2 === 1) order.reverse();
    for (const index of order) {
      const elapsed = await timeOnce(commands[index] as Command);
      if (i >= WARMUP) samples[index]?.push(elapsed);
    }
  }
  return samples.map(median);
}

export async function run(): Promise<BenchRow[]> {
  ensureKpmBinary();
  const server = await startDevServerForTest();
  const sandbox = createSandbox();
  const buildDir = mkdtempSync("/tmp/kpmb-");
  try {
    for (let i = 0; i < SECRETS; i++) {
      await seedCredential(server.dir, `generic/bench/s${i}`, {
        value: `bench-secret-value-${i}-0123456789`,
      });
    }
    writeKpmConfig(sandbox.home, server);
    const template = Array.from({ length: SECRETS }, (_, i) => `S${i}=\${kms:kv/bench/s${i}}`).join("\n");
    writeFileSync(join(sandbox.home, "bench.template"), `${template}\n`);
    const scanCwd = join(sandbox.root, "scan");
    mkdirSync(scanCwd);

    const templateFloorPiped = compileSource(buildDir, "template-floor", templateFloor(SPAWN_PIPED));
    const templateFloorInherited = compileSource(
      buildDir,
      "template-floor-i",
      templateFloor(SPAWN_INHERITED),
    );
    const envScanFloorPiped = compileSource(buildDir, "env-scan-floor", envScanFloor(SPAWN_PIPED));
    const envScanFloorInherited = compileSource(buildDir, "env-scan-floor-i", envScanFloor(SPAWN_INHERITED));
    const spawnFloor = compileSource(buildDir, "spawn-floor", SPAWN_FLOOR);
    const kpm = compileKpm(buildDir);
    const env = sandbox.env;

    const floorEnv = {
      ...env,
      FLOOR_SERVER: server.addr,
      FLOOR_CERT: server.clientFiles.cert,
      FLOOR_KEY: server.clientFiles.key,
      FLOOR_CA: server.clientFiles.ca,
    };
    const unhardened = { KPM_TEST_UNHARDENED: "1" };
    const templateRun = [kpm, "run", "--from", "bench.template", "--", "true"];
    const [kpmTemplate = 0, floorTemplate = 0, floorTemplateInherited = 0, kpmTemplateDirect = 0] =
      await medians([
        { argv: templateRun, env, cwd: sandbox.home },
        { argv: [templateFloorPiped], env: floorEnv, cwd: sandbox.home },
        { argv: [templateFloorInherited], env: floorEnv, cwd: sandbox.home },
        { argv: templateRun, env: { ...env, ...unhardened }, cwd: sandbox.home },
      ]);

    const exported = await runKpmProcess(["env", "--from", "bench.template", "--output", "shell"], {
      env,
      cwd: sandbox.home,
      binary: true,
    });
    if (exported.code !== 0) throw new Error(`kpm env failed: ${exported.stderr}`);
    const sessionEnv = { ...env, ...parseShellExports(exported.stdout) };
    const [kpmEnvScan = 0, floorEnvScan = 0, floorEnvScanInherited = 0, kpmEnvScanDirect = 0] = await medians(
      [
        { argv: [kpm, "run", "--", "true"], env: sessionEnv, cwd: scanCwd },
        { argv: [envScanFloorPiped], env: sessionEnv, cwd: scanCwd },
        { argv: [envScanFloorInherited], env: sessionEnv, cwd: scanCwd },
        { argv: [kpm, "run", "--", "true"], env: { ...sessionEnv, ...unhardened }, cwd: scanCwd },
      ],
    );

    const [kpmNoSecrets = 0, floorSpawn = 0] = await medians([
      { argv: [kpm, "run", "--from", "/dev/null", "--", "true"], env, cwd: sandbox.home },
      { argv: [spawnFloor], env, cwd: sandbox.home },
    ]);

    const note = `median of ${RUNS} alternating runs, ${SECRETS} secrets, compiled binaries`;
    return [
      { name: "kpm run -- true (template mode)", value: kpmTemplate, unit: "ms", note },
      { name: "floor: mTLS fetches + spawn", value: floorTemplate, unit: "ms", note },
      { name: "template mode / floor", value: kpmTemplate / floorTemplate, unit: "x" },
      {
        name: "template mode / floor with inherited stdio",
        value: kpmTemplate / floorTemplateInherited,
        unit: "x",
      },
      { name: "template mode without the exec step", value: kpmTemplateDirect, unit: "ms", note },
      { name: "exec step cost (template mode)", value: kpmTemplate - kpmTemplateDirect, unit: "ms" },
      { name: "kpm run -- true (env-scan mode)", value: kpmEnvScan, unit: "ms", note },
      { name: "floor: socket round trips + spawn", value: floorEnvScan, unit: "ms", note },
      { name: "env-scan mode / floor", value: kpmEnvScan / floorEnvScan, unit: "x" },
      {
        name: "env-scan mode / floor with inherited stdio",
        value: kpmEnvScan / floorEnvScanInherited,
        unit: "x",
      },
      { name: "env-scan mode without the exec step", value: kpmEnvScanDirect, unit: "ms", note },
      { name: "exec step cost (env-scan mode)", value: kpmEnvScan - kpmEnvScanDirect, unit: "ms" },
      { name: "kpm run --from /dev/null -- true (no secrets)", value: kpmNoSecrets, unit: "ms" },
      { name: "floor: spawn only", value: floorSpawn, unit: "ms" },
      { name: "no secrets / spawn floor", value: kpmNoSecrets / floorSpawn, unit: "x" },
    ];
  } finally {
    stopListeners(sandbox.runtimeDir);
    sandbox.cleanup();
    await server.stop();
    rmSync(buildDir, { recursive: true, force: true });
  }
}

if (import.meta.main) {
  for (const result of await run()) {
    console.log(
      `${result.name}: ${result.value.toFixed(3)} ${result.unit}${result.note ? ` (${result.note})` : ""}`,
    );
  }
}
