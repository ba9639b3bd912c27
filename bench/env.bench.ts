// `kpm env` with 10 secrets (compiled dist/kpm): default mode (fetch, encrypt, start and await a
// listener), --plaintext (fetch only) and a template without KMS entries (startup floor of the
// command). Medians of alternating runs. Run alone: bun bench/env.bench.ts
// biome-ignore-all lint/suspicious/noTemplateCurlyInString: templates spell ${kms:…} references literally
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import {
  createSandbox,
  KPM_BINARY,
  seedCredential,
  startDevServerForTest,
  stopListeners,
  writeKpmConfig,
} from "../test/helpers/kpm-env.ts";
import { ensureKpmBinary, medians } from "./run.bench.ts";
import type { BenchRow } from "./run.ts";

const SECRETS = 10;
const RUNS = 15;

export async function run(): Promise<BenchRow[]> {
  ensureKpmBinary();
  const server = await startDevServerForTest();
  const sandbox = createSandbox();
  try {
    for (let i = 0; i < SECRETS; i++) {
      await seedCredential(server.dir, `generic/bench/s${i}`, {
        value: `bench-secret-value-${i}-0123456789`,
      });
    }
    writeKpmConfig(sandbox.home, server);
    const template = Array.from({ length: SECRETS }, (_, i) => `S${i}=\${kms:kv/bench/s${i}}`).join("\n");
    writeFileSync(join(sandbox.home, "bench.template"), `${template}\n`);
    writeFileSync(join(sandbox.home, "plain.template"), "A=1\nB=2\n");
    const command = (...args: string[]) => ({
      argv: [KPM_BINARY, ...args],
      env: sandbox.env,
      cwd: sandbox.home,
    });

    const [encrypted = 0, plaintext = 0, noKms = 0] = await medians(
      [
        command("env", "--from", "bench.template", "--output", "shell"),
        command("env", "--from", "bench.template", "--plaintext"),
        command("env", "--from", "plain.template"),
      ],
      RUNS,
    );
    const note = `median of ${RUNS} alternating runs, ${SECRETS} secrets, compiled binary`;
    return [
      {
        name: "kpm env --output shell (fetch + encrypt + listener, replaces the last)",
        value: encrypted,
        unit: "ms",
        note,
      },
      { name: "kpm env --plaintext (fetch only)", value: plaintext, unit: "ms", note },
      { name: "kpm env, no KMS entries", value: noKms, unit: "ms", note },
      { name: "listener start cost (default − plaintext)", value: encrypted - plaintext, unit: "ms" },
    ];
  } finally {
    // Each shell-output run replaced the previous one's listener; stop the last.
    stopListeners(sandbox.runtimeDir);
    sandbox.cleanup();
    await server.stop();
  }
}

if (import.meta.main) {
  for (const result of await run()) {
    console.log(
      `${result.name}: ${result.value.toFixed(3)} ${result.unit}${result.note ? ` (${result.note})` : ""}`,
    );
  }
}
