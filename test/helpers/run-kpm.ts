// Runs the real kpm CLI as a child process — from source under this Bun, or the compiled
// dist/kpm — with exactly the environment the test names (nothing inherited from the runner).
import { existsSync } from "node:fs";
import { join, resolve } from "node:path";
import { type ProcessOutput, runToEnd } from "./run-to-end.ts";

export const REPO_ROOT = resolve(import.meta.dir, "../..");
export const SOURCE_ENTRY = join(REPO_ROOT, "apps/kpm/src/main.ts");
export const COMPILED_BINARY = join(REPO_ROOT, "dist/kpm");

export type KpmBinary = "source" | "compiled";

export interface RunKpmOptions {
  /** The child's whole environment; PATH is added only when absent (Bun and children need it). */
  env: Record<string, string | undefined>;
  /** Working directory; default: `env.HOME`, else the repository root. */
  cwd?: string;
  /** Bytes on stdin; without it stdin is /dev/null. */
  input?: string | Uint8Array;
  binary?: KpmBinary;
}

export type KpmOutput = ProcessOutput;

export function kpmArgv(binary: KpmBinary = "source"): string[] {
  return binary === "compiled" ? [COMPILED_BINARY] : [process.execPath, SOURCE_ENTRY];
}

/** Builds dist/kpm with `bun run build` when it is missing (tests of the binary never skip). */
export function ensureCompiledBinary(): string {
  if (existsSync(COMPILED_BINARY)) return COMPILED_BINARY;
  const build = Bun.spawnSync([process.execPath, "run", "build"], {
    cwd: REPO_ROOT,
    stdout: "pipe",
    stderr: "pipe",
  });
  if (build.exitCode !== 0 || !existsSync(COMPILED_BINARY)) {
    throw new Error(`bun run build failed (exit ${build.exitCode}): ${build.stderr.toString()}`);
  }
  return COMPILED_BINARY;
}

export async function runKpm(args: readonly string[], options: RunKpmOptions): Promise<KpmOutput> {
  const env = { ...options.env };
  env.PATH ??= process.env.PATH ?? "/usr/local/bin:/usr/bin:/bin";
  return runToEnd([...kpmArgv(options.binary), ...args], {
    env,
    cwd: options.cwd ?? env.HOME ?? REPO_ROOT,
    input: options.input,
  });
}
