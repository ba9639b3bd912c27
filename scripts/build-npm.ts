// Builds the npm package of spec §16.3 into dist/npm: one bundled bin/kpm.js (no workspace
// dependencies, which a packed workspace package could not resolve), package.json, README, LICENSE.
import { chmodSync, copyFileSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { basename, join } from "node:path";
import { buildDate, gitCommit } from "./build.ts";

const root = join(import.meta.dir, "..");
const entry = join(import.meta.dir, "npm/entry.ts");

/** The bin's first line: Bun must not load a `.env` or `bunfig.toml` (preloads) from the user's cwd. */
export const SHEBANG = "#!/usr/bin/env -S bun --no-env-file --config=/dev/null";

/** npm reported `kpm` as unpublished (404) when this was written; publishing decides for real. */
export const PACKAGE_NAME = "kpm";

export interface NpmBuildOptions {
  /** Output directory; default `<repo>/dist/npm`. */
  outDir?: string;
  /** Package version; default `$KPM_VERSION`, else apps/kpm/package.json. */
  version?: string;
}

interface AppManifest {
  version: string;
  description: string;
  license: string;
}

function appManifest(): AppManifest {
  return JSON.parse(readFileSync(join(root, "apps/kpm/package.json"), "utf8")) as AppManifest;
}

/**
 * The published manifest: a bin, no dependencies, and Bun as the engine. `repository` comes from
 * `$GITHUB_REPOSITORY` (set in Actions) because `npm publish --provenance` requires it to match.
 */
export function npmManifest(version: string, app: AppManifest = appManifest()): Record<string, unknown> {
  const repository = process.env.GITHUB_REPOSITORY;
  return {
    name: PACKAGE_NAME,
    version,
    description: app.description,
    license: app.license,
    type: "module",
    bin: { kpm: "bin/kpm.js" },
    files: ["bin/kpm.js", "README.md", "LICENSE"],
    engines: { bun: ">=1.4.5" },
    keywords: ["secrets", "agentkms", "mtls", "dotenv", "cli", "ai-agents"],
    ...(repository ? { repository: { type: "git", url: `git+https://github.com/${repository}.git` } } : {}),
  };
}

async function bundle(outDir: string, version: string): Promise<string> {
  const result = await Bun.build({
    entrypoints: [entry],
    target: "bun",
    format: "esm",
    minify: true,
    // Splitting would emit chunk files next to the bin; lazy command imports are inlined instead.
    splitting: false,
    define: {
      KPM_VERSION: JSON.stringify(version),
      KPM_COMMIT: JSON.stringify(gitCommit()),
      KPM_BUILD_DATE: JSON.stringify(buildDate()),
    },
  });
  if (!result.success) {
    throw new Error(`bundle failed:\n${result.logs.map((log) => String(log)).join("\n")}`);
  }
  if (result.outputs.length !== 1) {
    const names = result.outputs.map((output) => basename(output.path)).join(", ");
    throw new Error(`bundle must be one file, got ${result.outputs.length}: ${names}`);
  }
  const [output] = result.outputs;
  if (output === undefined) throw new Error("bundle produced no output");
  const text = await output.text();
  // Bun keeps the entry's hashbang; insist on it so a changed entry cannot drop the flags silently.
  if (!text.startsWith(`${SHEBANG}\n`)) {
    throw new Error(`bundle must start with ${SHEBANG} (check scripts/npm/entry.ts line 1)`);
  }
  const binPath = join(outDir, "bin/kpm.js");
  mkdirSync(join(outDir, "bin"), { recursive: true });
  writeFileSync(binPath, text);
  chmodSync(binPath, 0o755);
  return binPath;
}

/** Writes dist/npm from scratch and returns its path. */
export async function buildNpmPackage(options: NpmBuildOptions = {}): Promise<string> {
  const outDir = options.outDir ?? join(root, "dist/npm");
  const version = options.version ?? process.env.KPM_VERSION ?? appManifest().version;
  rmSync(outDir, { recursive: true, force: true });
  mkdirSync(outDir, { recursive: true });
  await bundle(outDir, version.replace(/^v/, ""));
  writeFileSync(
    join(outDir, "package.json"),
    `${JSON.stringify(npmManifest(version.replace(/^v/, "")), null, 2)}\n`,
  );
  copyFileSync(join(import.meta.dir, "npm/README.md"), join(outDir, "README.md"));
  copyFileSync(join(import.meta.dir, "npm/LICENSE"), join(outDir, "LICENSE"));
  return outDir;
}

if (import.meta.main) {
  const outDir = await buildNpmPackage();
  console.error(`✓ npm package in ${outDir}`);
}
