// Builds kpm: `bun run build` → native dist/kpm; `bun run build:all` → every release target of
// spec §16.1 plus SHA256SUMS (`--targets=kpm-linux-x64,kpm-linux-arm64` builds a subset). Always
// the exact build line of §16.1. Cross targets need Bun's runtime for that target, which Bun
// downloads from the npm registry on first use and caches in ~/.bun/install/cache.
import { createHash } from "node:crypto";
import { mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";

const root = join(import.meta.dir, "..");
const entry = join(root, "apps/kpm/src/main.ts");
const defaultDist = join(root, "dist");

/**
 * The build line of spec §16.1 (without the --define values). Benchmarks and tests that compile
 * floors or smoke binaries import it, so they can never drift from the release build.
 */
export const COMPILE_FLAGS = [
  "--compile",
  "--minify",
  "--splitting",
  "--format=esm",
  "--bytecode",
  "--no-compile-autoload-dotenv",
  "--no-compile-autoload-bunfig",
] as const;

export const TARGETS: Array<{ target: string; asset: string }> = [
  { target: "bun-linux-x64", asset: "kpm-linux-x64" },
  { target: "bun-linux-x64-baseline", asset: "kpm-linux-x64-baseline" },
  { target: "bun-linux-x64-musl", asset: "kpm-linux-x64-musl" },
  { target: "bun-linux-arm64", asset: "kpm-linux-arm64" },
  { target: "bun-linux-arm64-musl", asset: "kpm-linux-arm64-musl" },
  { target: "bun-darwin-x64", asset: "kpm-darwin-x64" },
  { target: "bun-darwin-arm64", asset: "kpm-darwin-arm64" },
  { target: "bun-windows-x64", asset: "kpm-windows-x64.exe" },
];

export interface BuiltAsset {
  asset: string;
  bytes: number;
  seconds: number;
  sha256: string;
}

export function gitCommit(): string {
  const result = Bun.spawnSync(["git", "rev-parse", "--short=12", "HEAD"], { cwd: root, stderr: "ignore" });
  return result.exitCode === 0 ? result.stdout.toString().trim() : "unknown";
}

/** The --define flags that give a build its identity (`kpm --version`); the benches use them too. */
export function versionDefines(): string[] {
  return [
    "--define",
    `KPM_VERSION=${JSON.stringify(releaseVersion())}`,
    "--define",
    `KPM_COMMIT=${JSON.stringify(gitCommit())}`,
    "--define",
    `KPM_BUILD_DATE=${JSON.stringify(buildDate())}`,
  ];
}

/** The build's UTC date (YYYY-MM-DD); SOURCE_DATE_EPOCH, when set, makes it reproducible. */
export function buildDate(): string {
  const epoch = Number(process.env.SOURCE_DATE_EPOCH);
  const when = Number.isFinite(epoch) && epoch > 0 ? new Date(epoch * 1000) : new Date();
  return when.toISOString().slice(0, 10);
}

/** `$KPM_VERSION` (a release tag such as `v0.3.0` loses its `v`), else apps/kpm/package.json. */
export function releaseVersion(): string {
  const pkg = JSON.parse(readFileSync(join(root, "apps/kpm/package.json"), "utf8")) as { version: string };
  const fromEnv = process.env.KPM_VERSION;
  return fromEnv ? fromEnv.replace(/^v/, "") : pkg.version;
}

async function compile(outfile: string, target?: string): Promise<void> {
  const args = [
    process.execPath,
    "build",
    ...COMPILE_FLAGS,
    ...versionDefines(),
    ...(target ? [`--target=${target}`] : []),
    entry,
    "--outfile",
    outfile,
  ];
  // Bun's progress lines go to stderr so stdout stays free for callers.
  const proc = Bun.spawn(args, { cwd: root, stdout: "ignore", stderr: "pipe" });
  const [log, code] = await Promise.all([new Response(proc.stderr).text(), proc.exited]);
  if (code !== 0) throw new Error(`build failed: ${target ?? "native"}\n${log}`);
}

/** Builds the given release assets (default: all) into `outDir` and writes their SHA256SUMS. */
export async function buildRelease(
  assets: string[] = TARGETS.map((target) => target.asset),
  outDir: string = defaultDist,
): Promise<BuiltAsset[]> {
  const selected = assets.map((asset) => {
    const found = TARGETS.find((target) => target.asset === asset);
    if (found === undefined) {
      throw new Error(`unknown target ${asset} (known: ${TARGETS.map((target) => target.asset).join(", ")})`);
    }
    return found;
  });
  mkdirSync(outDir, { recursive: true });
  // A SHA256SUMS from an earlier build must not outlive a build that fails half-way.
  rmSync(join(outDir, "SHA256SUMS"), { force: true });
  const built: BuiltAsset[] = [];
  for (const { target, asset } of selected) {
    const outfile = join(outDir, asset);
    const started = performance.now();
    await compile(outfile, target);
    const seconds = (performance.now() - started) / 1000;
    const sha256 = createHash("sha256").update(readFileSync(outfile)).digest("hex");
    built.push({ asset, bytes: statSync(outfile).size, seconds, sha256 });
    console.error(`✓ ${asset} ${(statSync(outfile).size / 1e6).toFixed(1)} MB in ${seconds.toFixed(1)}s`);
  }
  writeFileSync(join(outDir, "SHA256SUMS"), built.map((item) => `${item.sha256}  ${item.asset}\n`).join(""));
  return built;
}

function selectedAssets(argv: string[]): string[] | undefined {
  const flag = argv.find((arg) => arg.startsWith("--targets="));
  return flag?.slice("--targets=".length).split(",").filter(Boolean);
}

async function main(argv: string[]): Promise<void> {
  const subset = selectedAssets(argv);
  if (!argv.includes("--all") && subset === undefined) {
    mkdirSync(defaultDist, { recursive: true });
    const started = performance.now();
    await compile(join(defaultDist, "kpm"));
    console.error(`✓ ${join(defaultDist, "kpm")} in ${((performance.now() - started) / 1000).toFixed(1)}s`);
    return;
  }
  const built = await buildRelease(subset);
  const total = built.reduce((sum, item) => sum + item.seconds, 0);
  console.error(`✓ ${built.length} targets and SHA256SUMS in ${defaultDist} (${total.toFixed(1)}s)`);
}

if (import.meta.main) await main(process.argv.slice(2));
