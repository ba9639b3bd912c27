// Builds kpm: `bun run build` → native dist/kpm; `bun run build:all` → every release target of
// spec §16.1 plus SHA256SUMS. Always the exact build line of §16.1.
import { createHash } from "node:crypto";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";

const root = join(import.meta.dir, "..");
const entry = join(root, "apps/kpm/src/main.ts");
const dist = join(root, "dist");

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

function gitCommit(): string {
  const result = Bun.spawnSync(["git", "rev-parse", "--short=12", "HEAD"], { cwd: root, stderr: "ignore" });
  return result.exitCode === 0 ? result.stdout.toString().trim() : "unknown";
}

function packageVersion(): string {
  const pkg = JSON.parse(readFileSync(join(root, "apps/kpm/package.json"), "utf8")) as { version: string };
  return process.env.KPM_VERSION ?? pkg.version;
}

async function compile(outfile: string, target?: string): Promise<void> {
  const args = [
    process.execPath,
    "build",
    "--compile",
    "--minify",
    "--splitting",
    "--format=esm",
    "--bytecode",
    "--no-compile-autoload-dotenv",
    "--no-compile-autoload-bunfig",
    "--define",
    `KPM_VERSION=${JSON.stringify(packageVersion())}`,
    "--define",
    `KPM_COMMIT=${JSON.stringify(gitCommit())}`,
    ...(target ? [`--target=${target}`] : []),
    entry,
    "--outfile",
    outfile,
  ];
  const proc = Bun.spawn(args, { cwd: root, stdout: "inherit", stderr: "inherit" });
  if ((await proc.exited) !== 0) throw new Error(`build failed: ${target ?? "native"}`);
}

async function main(): Promise<void> {
  mkdirSync(dist, { recursive: true });
  if (!process.argv.includes("--all")) {
    await compile(join(dist, "kpm"));
    return;
  }
  const sums: string[] = [];
  for (const { target, asset } of TARGETS) {
    const outfile = join(dist, asset);
    await compile(outfile, target);
    const digest = createHash("sha256").update(readFileSync(outfile)).digest("hex");
    sums.push(`${digest}  ${asset}`);
  }
  writeFileSync(join(dist, "SHA256SUMS"), `${sums.join("\n")}\n`);
  console.error(`✓ ${TARGETS.length} targets and SHA256SUMS in ${dist}`);
}

if (import.meta.main) await main();
