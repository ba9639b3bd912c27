// install.sh end to end (spec §16.2, §18.28): the real script under sh/bash, real curl/wget and
// sha256sum/shasum, downloading from a loopback HTTP "release" that serves the native build.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import {
  chmodSync,
  copyFileSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { join } from "node:path";
import { snapshotCheckout } from "./helpers/checkout-snapshot.ts";
import { createSandbox, KPM_BINARY, REPO_ROOT, type Sandbox } from "./helpers/kpm-env.ts";
import { AS_NOBODY } from "./helpers/processes.ts";
import { ensureCompiledBinary } from "./helpers/run-kpm.ts";
import { type ProcessOutput, runToEnd } from "./helpers/run-to-end.ts";

const INSTALL_SH = join(REPO_ROOT, "install.sh");

let sandbox: Sandbox;
let asset = "";
let binaryDigest = "";
let release: ReturnType<typeof Bun.serve>;
let baseUrl = "";
/** Paths the release server was asked for, in order (reset per test where it matters). */
const requested: string[] = [];
/** Release "channels": URL prefix → asset name → file served. */
const channels = new Map<string, Map<string, string>>();

function sha256(path: string): string {
  const hasher = new Bun.CryptoHasher("sha256");
  hasher.update(readFileSync(path));
  return hasher.digest("hex");
}

/** `sh install.sh …` (or `script`, a copy of it placed elsewhere) run to its end. */
function runInstaller(
  args: string[],
  env: Record<string, string>,
  opts: { shell?: string; prefix?: string[]; cwd?: string; script?: string } = {},
): Promise<ProcessOutput> {
  return runToEnd([...(opts.prefix ?? []), opts.shell ?? "sh", opts.script ?? INSTALL_SH, ...args], {
    env,
    cwd: opts.cwd ?? sandbox.home,
  });
}

function installEnv(channel: string, extra: Record<string, string> = {}): Record<string, string> {
  return { ...sandbox.env, KPM_INSTALL_BASE_URL: `${baseUrl}/${channel}`, ...extra };
}

function channel(name: string, files: Record<string, string>): void {
  channels.set(name, new Map(Object.entries(files)));
}

function sumsFile(name: string, lines: string[]): string {
  const path = join(sandbox.root, `${name}.SHA256SUMS`);
  writeFileSync(path, `${lines.join("\n")}\n`);
  return path;
}

/** A directory of symlinks to the given tools only, so the script sees exactly those on PATH. */
function toolDir(name: string, tools: string[]): string {
  const dir = join(sandbox.root, name);
  mkdirSync(dir, { recursive: true });
  for (const tool of tools) {
    const found = Bun.which(tool);
    if (found === null) throw new Error(`test needs ${tool} on PATH`);
    symlinkSync(found, join(dir, tool));
  }
  return dir;
}

const BASE_TOOLS = ["sh", "uname", "grep", "awk", "cut", "mktemp", "mkdir", "cp", "chmod", "mv", "rm", "cat"];
const OPTIONAL_TOOLS = ["ldd", "dirname", "tr"].filter((tool) => Bun.which(tool) !== null);

beforeAll(async () => {
  ensureCompiledBinary();
  sandbox = createSandbox();
  const printed = await runInstaller(["--print-asset"], sandbox.env);
  expect(printed.code).toBe(0);
  asset = printed.stdout.trim();
  binaryDigest = sha256(KPM_BINARY);

  const tampered = join(sandbox.root, "tampered");
  writeFileSync(tampered, "#!/bin/sh\necho not-kpm\n", { mode: 0o755 });
  channel("good", {
    [asset]: KPM_BINARY,
    SHA256SUMS: sumsFile("good", [`${"0".repeat(64)}  kpm-other-target`, `${binaryDigest}  ${asset}`]),
  });
  channel("tampered", {
    [asset]: tampered,
    SHA256SUMS: sumsFile("tampered", [`${binaryDigest}  ${asset}`]),
  });
  channel("no-entry", {
    [asset]: KPM_BINARY,
    // A name that merely contains the asset name must not count as its entry.
    SHA256SUMS: sumsFile("no-entry", [`${binaryDigest}  ${asset}-old`, `${binaryDigest}  x${asset}`]),
  });
  channel("no-sums", { [asset]: KPM_BINARY });
  channel("no-binary", { SHA256SUMS: sumsFile("no-binary", [`${binaryDigest}  ${asset}`]) });
  channel("binary-mode", {
    [asset]: KPM_BINARY,
    SHA256SUMS: sumsFile("binary-mode", [`${binaryDigest.toUpperCase()} *${asset}`]),
  });

  release = Bun.serve({
    hostname: "127.0.0.1",
    port: 0,
    fetch(request) {
      const path = new URL(request.url).pathname;
      requested.push(path);
      const [, channelName = "", file = ""] = path.split("/");
      const served = channels.get(channelName)?.get(file);
      return served === undefined
        ? new Response("not found", { status: 404 })
        : new Response(Bun.file(served));
    },
  });
  baseUrl = `http://127.0.0.1:${release.port}`;
});

afterAll(() => {
  release?.stop(true);
  sandbox?.cleanup();
});

function installDir(name: string): string {
  return join(sandbox.root, "dest", name);
}

describe("install.sh: verified install", () => {
  test("installs the verified binary as <dir>/kpm, mode 0755, and it runs", async () => {
    const dir = installDir("good");
    const result = await runInstaller(["--dir", dir], installEnv("good"));
    expect(result.stderr).toContain(`✓ Verified SHA-256 of ${asset}`);
    expect(result.stderr).toContain(`✓ Installed kpm `);
    expect(result.code).toBe(0);
    expect(readdirSync(dir)).toEqual(["kpm"]);
    expect(statSync(join(dir, "kpm")).mode & 0o777).toBe(0o755);
    expect(sha256(join(dir, "kpm"))).toBe(binaryDigest);
    const version = Bun.spawnSync([join(dir, "kpm"), "--version"], { env: sandbox.env });
    expect(version.exitCode).toBe(0);
    expect(version.stdout.toString()).toMatch(/^kpm \S+ \(commit \S+, built \S+\)\n$/);
    expect(result.stderr).toContain(`${dir} is not on your PATH; add it with: export PATH="${dir}:$PATH"`);
  });

  test("defaults to ~/.local/bin and prints no PATH hint when that directory is on PATH", async () => {
    const dir = join(sandbox.home, ".local/bin");
    const env = installEnv("good", { PATH: `${dir}:${sandbox.env.PATH}` });
    const result = await runInstaller([], env, { shell: "bash" });
    expect(result.code).toBe(0);
    expect(existsSync(join(dir, "kpm"))).toBe(true);
    expect(result.stderr).not.toContain("is not on your PATH");
  });

  test("replaces an existing kpm in place", async () => {
    const dir = installDir("replace");
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, "kpm"), "old", { mode: 0o700 });
    const result = await runInstaller(["--dir", dir], installEnv("good"));
    expect(result.code).toBe(0);
    expect(sha256(join(dir, "kpm"))).toBe(binaryDigest);
    expect(statSync(join(dir, "kpm")).mode & 0o777).toBe(0o755);
    expect(readdirSync(dir)).toEqual(["kpm"]);
  });

  test("accepts an upper-case digest in binary-mode SHA256SUMS lines", async () => {
    const dir = installDir("binary-mode");
    const result = await runInstaller([`--dir=${dir}`], installEnv("binary-mode"));
    expect(result.code).toBe(0);
    expect(sha256(join(dir, "kpm"))).toBe(binaryDigest);
  });

  const wanted = ["wget", "shasum", "perl"];
  test.skipIf(wanted.some((tool) => Bun.which(tool) === null))(
    "falls back to wget and shasum -a 256 when curl and sha256sum are missing",
    async () => {
      // shasum is a Perl script: it needs perl next to it.
      const bin = toolDir("bin-wget", [...BASE_TOOLS, ...OPTIONAL_TOOLS, ...wanted]);
      const dir = installDir("wget");
      const result = await runInstaller(["--dir", dir], installEnv("good", { PATH: bin }), {
        shell: join(bin, "sh"),
      });
      expect(result.stderr).toContain("✓ Verified SHA-256");
      expect(result.code).toBe(0);
      expect(sha256(join(dir, "kpm"))).toBe(binaryDigest);
    },
  );
});

describe("install.sh: refusals install nothing", () => {
  test("a binary that does not match SHA256SUMS is refused and nothing is installed", async () => {
    const dir = installDir("tampered");
    const result = await runInstaller(["--dir", dir], installEnv("tampered"));
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(`error: checksum mismatch for ${asset} (expected ${binaryDigest}, got `);
    expect(result.stderr).toContain("refusing to install");
    expect(existsSync(dir)).toBe(false);
  });

  test("a tampered download never replaces an existing kpm", async () => {
    const dir = installDir("tampered-existing");
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, "kpm"), "previous", { mode: 0o755 });
    const result = await runInstaller(["--dir", dir], installEnv("tampered"));
    expect(result.code).toBe(1);
    expect(readdirSync(dir)).toEqual(["kpm"]);
    expect(await Bun.file(join(dir, "kpm")).text()).toBe("previous");
  });

  test("a SHA256SUMS without an entry for the asset is refused before the binary is fetched", async () => {
    const dir = installDir("no-entry");
    requested.length = 0;
    const result = await runInstaller(["--dir", dir], installEnv("no-entry"));
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(`error: SHA256SUMS has no entry for ${asset}; refusing to install`);
    expect(requested).toEqual(["/no-entry/SHA256SUMS"]);
    expect(existsSync(dir)).toBe(false);
  });

  test("a release without SHA256SUMS fails naming the URL", async () => {
    const dir = installDir("no-sums");
    const result = await runInstaller(["--dir", dir], installEnv("no-sums"));
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(`error: download failed: ${baseUrl}/no-sums/SHA256SUMS`);
    expect(existsSync(dir)).toBe(false);
  });

  test("a release without the binary fails naming the URL", async () => {
    const dir = installDir("no-binary");
    const result = await runInstaller(["--dir", dir], installEnv("no-binary"));
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(`error: download failed: ${baseUrl}/no-binary/${asset}`);
    expect(existsSync(dir)).toBe(false);
  });

  test("a server that is down gives a clear message naming the URL", async () => {
    const down = Bun.serve({ hostname: "127.0.0.1", port: 0, fetch: () => new Response("") });
    const port = down.port;
    down.stop(true);
    const dir = installDir("down");
    const result = await runInstaller(["--dir", dir], {
      ...sandbox.env,
      KPM_INSTALL_BASE_URL: `http://127.0.0.1:${port}/`,
    });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(
      `error: download failed: http://127.0.0.1:${port}/SHA256SUMS (check the network`,
    );
    expect(existsSync(dir)).toBe(false);
  });

  test("--version selects the GitHub release URL of that tag", async () => {
    // An unreachable proxy makes curl fail at once, without touching the network.
    const env = { ...sandbox.env, https_proxy: "http://127.0.0.1:9", HTTPS_PROXY: "http://127.0.0.1:9" };
    const tagged = await runInstaller(["--version", "v1.2.3", "--dir", installDir("tag")], env);
    expect(tagged.code).toBe(1);
    expect(tagged.stderr).toMatch(
      /error: download failed: https:\/\/github\.com\/[^/]+\/kpm\/releases\/download\/v1\.2\.3\/SHA256SUMS/,
    );
    const latest = await runInstaller(["--dir", installDir("latest")], env);
    expect(latest.stderr).toMatch(
      /error: download failed: https:\/\/github\.com\/[^/]+\/kpm\/releases\/latest\/download\/SHA256SUMS/,
    );
  });
});

describe("install.sh: never sudo, clear messages", () => {
  test("a --dir under a regular file fails suggesting --dir or an explicit sudo re-run", async () => {
    const file = join(sandbox.root, "a-file");
    writeFileSync(file, "");
    const dir = join(file, "bin");
    const result = await runInstaller(["--dir", dir], installEnv("good"));
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(
      `error: cannot write to ${dir}; choose a directory you own with --dir <dir>`,
    );
    expect(result.stderr).toContain("re-run this installer explicitly with sudo");
  });

  test.skipIf(process.getuid?.() !== 0 || Bun.which("setpriv") === null)(
    "an unprivileged user cannot install into a root-owned directory and is told what to do",
    async () => {
      const shared = join(sandbox.root, "nobody");
      mkdirSync(shared, { recursive: true });
      chmodSync(sandbox.root, 0o755);
      chmodSync(shared, 0o777);
      const script = join(shared, "install.sh");
      copyFileSync(INSTALL_SH, script);
      chmodSync(script, 0o755);
      const rootOwned = join(sandbox.root, "root-owned");
      mkdirSync(rootOwned, { mode: 0o755 });
      const { stderr, code } = await runInstaller(
        ["--dir", rootOwned],
        { ...installEnv("good"), HOME: shared, TMPDIR: shared },
        { prefix: AS_NOBODY, script, cwd: shared },
      );
      expect(stderr).toContain("✓ Verified SHA-256");
      expect(stderr).toContain(`error: cannot write to ${rootOwned};`);
      expect(stderr).not.toContain("sudo:");
      expect(code).toBe(1);
      expect(readdirSync(rootOwned)).toEqual([]);
    },
  );

  test("an unknown option prints usage and fails", async () => {
    const result = await runInstaller(["--frobnicate"], sandbox.env);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain("Usage: install.sh");
    expect(result.stderr).toContain("error: unknown option: --frobnicate");
  });

  test("--help prints usage and succeeds", async () => {
    const result = await runInstaller(["--help"], sandbox.env);
    expect(result.code).toBe(0);
    expect(result.stderr).toContain("--source-only");
  });

  test("the script never invokes sudo", async () => {
    const text = await Bun.file(INSTALL_SH).text();
    const commandLines = text.split("\n").filter((line) => !/^\s*#/.test(line) && /\bsudo\b/.test(line));
    // The only mention is the advice text inside the unwritable() message.
    expect(commandLines).toHaveLength(1);
    expect(commandLines[0]).toContain('fail "cannot write to');
  });
});

describe("install.sh: platform detection", () => {
  /** Runs --print-asset with fake `uname`/`ldd` first on PATH (other operating systems cannot be produced here). */
  async function assetFor(
    unameS: string,
    unameM: string,
    lddBanner = "ldd (GNU libc) 2.36",
  ): Promise<ProcessOutput> {
    const bin = join(sandbox.root, `fake-${unameS}-${unameM}-${lddBanner.length}`);
    mkdirSync(bin, { recursive: true });
    writeFileSync(
      join(bin, "uname"),
      `#!/bin/sh\ncase "$1" in -s) echo ${unameS} ;; -m) echo ${unameM} ;; esac\n`,
      { mode: 0o755 },
    );
    writeFileSync(join(bin, "ldd"), `#!/bin/sh\necho '${lddBanner}'\n`, { mode: 0o755 });
    return runInstaller(["--print-asset"], { ...sandbox.env, PATH: `${bin}:${sandbox.env.PATH}` });
  }

  test("maps OS and architecture names to release assets", async () => {
    const avx2 = (await Bun.file("/proc/cpuinfo").text()).includes("avx2");
    const x64 = avx2 ? "kpm-linux-x64" : "kpm-linux-x64-baseline";
    expect((await assetFor("Linux", "x86_64")).stdout).toBe(`${x64}\n`);
    expect((await assetFor("Linux", "amd64")).stdout).toBe(`${x64}\n`);
    expect((await assetFor("Linux", "aarch64")).stdout).toBe("kpm-linux-arm64\n");
    expect((await assetFor("Darwin", "arm64")).stdout).toBe("kpm-darwin-arm64\n");
    expect((await assetFor("Darwin", "x86_64")).stdout).toBe("kpm-darwin-x64\n");
  });

  test("picks the -musl asset when ldd reports musl", async () => {
    expect((await assetFor("Linux", "aarch64", "musl libc (aarch64)")).stdout).toBe("kpm-linux-arm64-musl\n");
  });

  test("the asset it prints here is one the release builds", async () => {
    const { TARGETS } = await import("../scripts/build.ts");
    expect(TARGETS.map((target) => target.asset)).toContain(asset);
  });

  test("refuses unsupported systems with a clear message", async () => {
    const os = await assetFor("FreeBSD", "amd64");
    expect(os.code).toBe(1);
    expect(os.stderr).toContain("error: unsupported operating system: FreeBSD");
    const arch = await assetFor("Linux", "riscv64");
    expect(arch.code).toBe(1);
    expect(arch.stderr).toContain("error: unsupported architecture: riscv64");
  });
});

describe("install.sh: --source-only", () => {
  test("without Bun on PATH it says Bun is needed", async () => {
    const bin = toolDir("bin-nobun", [...BASE_TOOLS, ...OPTIONAL_TOOLS]);
    const result = await runInstaller(
      ["--source-only", "--dir", installDir("nobun")],
      {
        ...sandbox.env,
        PATH: bin,
      },
      { shell: join(bin, "sh") },
    );
    expect(result.code).toBe(1);
    expect(result.stderr).toContain("error: --source-only needs Bun on PATH");
  });

  test("outside a checkout it says where to run it", async () => {
    const lone = join(sandbox.root, "lone");
    mkdirSync(lone, { recursive: true });
    copyFileSync(INSTALL_SH, join(lone, "install.sh"));
    const { stderr, code } = await runInstaller(
      ["--source-only", "--dir", installDir("lone")],
      { ...sandbox.env, PATH: `${join(process.execPath, "..")}:${sandbox.env.PATH}` },
      { script: join(lone, "install.sh"), cwd: lone },
    );
    expect(code).toBe(1);
    expect(stderr).toContain("error: --source-only must run from a kpm checkout");
  });

  test("builds a copy of the checkout with Bun and installs its dist/kpm", async () => {
    // A committed snapshot plus this install.sh (which may not be committed yet).
    const checkout = join(sandbox.root, "checkout");
    snapshotCheckout(checkout);
    copyFileSync(INSTALL_SH, join(checkout, "install.sh"));
    const dir = installDir("source");
    const { stderr, code } = await runInstaller(
      ["--source-only", "--dir", dir],
      { ...sandbox.env, PATH: `${join(process.execPath, "..")}:${sandbox.env.PATH}` },
      { script: join(checkout, "install.sh") },
    );
    expect(stderr).toContain(`Building kpm from ${checkout}`);
    expect(code).toBe(0);
    expect(existsSync(join(checkout, "dist/kpm"))).toBe(true);
    const version = Bun.spawnSync([join(dir, "kpm"), "--version"], { env: sandbox.env });
    expect(version.stdout.toString()).toMatch(/^kpm \S+ \(commit \S+, built \S+\)\n$/);
    rmSync(checkout, { recursive: true, force: true });
  }, 120_000);
});

describe("install.sh: lint", () => {
  test.skipIf(Bun.which("shellcheck") === null)("is shellcheck-clean as POSIX sh", () => {
    const result = Bun.spawnSync(["shellcheck", "--shell=sh", INSTALL_SH], {
      stdout: "pipe",
      stderr: "pipe",
    });
    expect(`${result.stdout}${result.stderr}`).toBe("");
    expect(result.exitCode).toBe(0);
  });
});
