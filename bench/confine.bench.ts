// Confinement cost (issue 15: ≤ 15 ms): `kpm run --secure -- true` with one allowed secret,
// --confine=auto (Landlock through the exec step, where the kernel has it) vs --confine=off
// (setpriv or a direct spawn), compiled binary, interleaved runs, medians.
// Run alone: bun bench/confine.bench.ts
// biome-ignore-all lint/suspicious/noTemplateCurlyInString: templates spell ${kms:…} literally
import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { landlockAbi } from "@kpm/libc";
import {
  createSandbox,
  KPM_BINARY,
  runKpmProcess,
  seedCredential,
  startDevServerForTest,
  writeKpmConfig,
} from "../test/helpers/kpm-env.ts";
import type { BenchRow } from "./run.ts";
import { median } from "./stats.ts";

const WARMUP = 3;
const RUNS = 21;
const TARGET_MS = 15;

export async function run(): Promise<BenchRow[]> {
  const sandbox = createSandbox();
  const server = await startDevServerForTest();
  const binary = existsSync(KPM_BINARY);
  try {
    writeKpmConfig(sandbox.home, server);
    await seedCredential(server.dir, "llm/anthropic", { api_key: "bench-confine-0123456789" });
    const project = join(sandbox.root, "proj");
    mkdirSync(project);
    const template = join(project, "true.template");
    writeFileSync(template, "ANTHROPIC_API_KEY=${kms:llm/anthropic}\n");
    writeFileSync(join(sandbox.home, ".config/kpm/secure-allowlist.yaml"), "true: [ANTHROPIC_API_KEY]\n");
    const once = async (mode: string): Promise<number> => {
      const start = Bun.nanoseconds();
      const result = await runKpmProcess(
        ["run", "--secure", `--confine=${mode}`, "--from", template, "--", "true"],
        { env: sandbox.env, cwd: project, binary },
      );
      const ms = (Bun.nanoseconds() - start) / 1e6;
      if (result.code !== 0) throw new Error(`kpm run --confine=${mode} failed: ${result.stderr}`);
      return ms;
    };
    for (let i = 0; i < WARMUP; i++) {
      await once("auto");
      await once("off");
    }
    const auto: number[] = [];
    const off: number[] = [];
    for (let i = 0; i < RUNS; i++) {
      auto.push(await once("auto"));
      off.push(await once("off"));
    }
    const abi = landlockAbi();
    const mechanism = abi.ok ? `landlock ABI ${abi.value}` : `no Landlock: ${abi.reason}`;
    const difference = median(auto) - median(off);
    return [
      {
        name: "run --secure --confine=auto",
        value: median(auto),
        unit: "ms",
        note: `median of ${RUNS}, ${mechanism}`,
      },
      { name: "run --secure --confine=off", value: median(off), unit: "ms", note: `median of ${RUNS}` },
      {
        name: "confinement cost",
        value: difference,
        unit: "ms",
        note: `target ≤ ${TARGET_MS} ms${difference > TARGET_MS ? " — OVER TARGET" : ""}`,
      },
    ];
  } finally {
    sandbox.cleanup();
    await server.remove();
  }
}

if (import.meta.main) {
  const { formatTable } = await import("./run.ts");
  console.log(formatTable(await run()));
}
