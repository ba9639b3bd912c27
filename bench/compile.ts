// Compiling the programs a bench measures: kpm from source and the floors from their sources, all
// with the release build line (scripts/build.ts, spec §16.1) and all by the bench itself, at the
// same moment. On the CI VM a binary written long before another measured up to 2 ms slower per
// start (the same bytes, copied, were fast again), so comparing dist/kpm with a fresh floor would
// measure file age, not kpm.
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { COMPILE_FLAGS, versionDefines } from "../scripts/build.ts";

const ROOT = join(import.meta.dir, "..");

/** Compiles `entry` to `outfile` with the release flags; throws with Bun's output on failure. */
export function compileProgram(entry: string, outfile: string, defines: string[] = []): string {
  const built = Bun.spawnSync(
    [process.execPath, "build", ...COMPILE_FLAGS, ...defines, entry, "--outfile", outfile],
    {
      cwd: ROOT,
      stdout: "pipe",
      stderr: "pipe",
    },
  );
  if (built.exitCode !== 0) throw new Error(`build ${entry} failed: ${built.stderr.toString()}`);
  return outfile;
}

/** Writes `source` to `<dir>/<name>.ts` and compiles it to `<dir>/<name>`. */
export function compileSource(dir: string, name: string, source: string): string {
  const entry = join(dir, `${name}.ts`);
  writeFileSync(entry, source);
  return compileProgram(entry, join(dir, name));
}

/** kpm from apps/kpm/src/main.ts, compiled to `<dir>/kpm`. */
export function compileKpm(dir: string): string {
  // The release build's defines: without them --version would ask git (a source run's fallback).
  return compileProgram(join(ROOT, "apps/kpm/src/main.ts"), join(dir, "kpm"), versionDefines());
}
