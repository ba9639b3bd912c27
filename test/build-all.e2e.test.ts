// Release artifacts (spec §16.1, §18.27): every `bun run build:all` target exists, is the right
// executable format for its OS/arch/libc, is listed with its digest in SHA256SUMS, and the one
// this machine runs behaves (version, x509 PKI, no .env/bunfig from the cwd). Uses dist/ as built
// (CI builds it in a step before the tests); builds it only when it is missing or stale.
// biome-ignore-all lint/suspicious/noTemplateCurlyInString: GitHub Actions expressions are spelled literally
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { parse } from "yaml";
import { buildRelease, releaseVersion, TARGETS } from "../scripts/build.ts";
import { createSandbox, REPO_ROOT, type Sandbox } from "./helpers/kpm-env.ts";

const DIST = join(REPO_ROOT, "dist");
const SUMS = join(DIST, "SHA256SUMS");

interface ExpectedFormat {
  format: "elf" | "macho" | "pe";
  arch: "x64" | "arm64";
  /** ELF program interpreter: decides glibc vs musl. */
  interpreter?: string;
}

const EXPECTED: Record<string, ExpectedFormat> = {
  "kpm-linux-x64": { format: "elf", arch: "x64", interpreter: "/lib64/ld-linux-x86-64.so.2" },
  "kpm-linux-x64-baseline": { format: "elf", arch: "x64", interpreter: "/lib64/ld-linux-x86-64.so.2" },
  "kpm-linux-x64-musl": { format: "elf", arch: "x64", interpreter: "/lib/ld-musl-x86_64.so.1" },
  "kpm-linux-arm64": { format: "elf", arch: "arm64", interpreter: "/lib/ld-linux-aarch64.so.1" },
  "kpm-linux-arm64-musl": { format: "elf", arch: "arm64", interpreter: "/lib/ld-musl-aarch64.so.1" },
  "kpm-darwin-x64": { format: "macho", arch: "x64" },
  "kpm-darwin-arm64": { format: "macho", arch: "arm64" },
  "kpm-windows-x64.exe": { format: "pe", arch: "x64" },
};

let sandbox: Sandbox;
let nativeAsset = "";

function sha256(path: string): string {
  return new Bun.CryptoHasher("sha256").update(readFileSync(path)).digest("hex");
}

function parseSums(text: string): Map<string, string> {
  const sums = new Map<string, string>();
  for (const line of text.split("\n").filter(Boolean)) {
    const match = /^([0-9a-f]{64}) {2}(\S+)$/.exec(line);
    if (match?.[1] === undefined || match[2] === undefined)
      throw new Error(`malformed SHA256SUMS line: ${line}`);
    sums.set(match[2], match[1]);
  }
  return sums;
}

/** Format, architecture and (ELF) interpreter read from the executable's own headers. */
async function describeExecutable(path: string): Promise<ExpectedFormat> {
  const bytes = new Uint8Array(
    await Bun.file(path)
      .slice(0, 1 << 16)
      .arrayBuffer(),
  );
  const view = new DataView(bytes.buffer);
  if (view.getUint32(0) === 0x7f454c46) {
    const machine = view.getUint16(18, true);
    if (machine !== 0x3e && machine !== 0xb7) throw new Error(`unexpected ELF machine ${machine}`);
    const arch = machine === 0x3e ? "x64" : "arm64";
    const programHeaders = Number(view.getBigUint64(32, true));
    const entrySize = view.getUint16(54, true);
    const count = view.getUint16(56, true);
    for (let index = 0; index < count; index++) {
      const header = programHeaders + index * entrySize;
      if (view.getUint32(header, true) !== 3) continue; // PT_INTERP
      const offset = Number(view.getBigUint64(header + 8, true));
      const size = Number(view.getBigUint64(header + 32, true));
      const interpreter = new TextDecoder().decode(bytes.subarray(offset, offset + size)).replace(/\0+$/, "");
      return { format: "elf", arch, interpreter };
    }
    return { format: "elf", arch };
  }
  if (view.getUint32(0, true) === 0xfeedfacf) {
    const cpu = view.getUint32(4, true);
    if (cpu !== 0x01000007 && cpu !== 0x0100000c) throw new Error(`unexpected Mach-O cputype ${cpu}`);
    return { format: "macho", arch: cpu === 0x01000007 ? "x64" : "arm64" };
  }
  if (bytes[0] === 0x4d && bytes[1] === 0x5a) {
    const peOffset = view.getUint32(0x3c, true);
    if (view.getUint32(peOffset) !== 0x50450000) throw new Error("MZ without a PE header");
    const machine = view.getUint16(peOffset + 4, true);
    if (machine !== 0x8664 && machine !== 0xaa64) throw new Error(`unexpected PE machine ${machine}`);
    return { format: "pe", arch: machine === 0x8664 ? "x64" : "arm64" };
  }
  throw new Error(`${path}: not an executable format kpm ships`);
}

function artifactsUsable(): boolean {
  if (!existsSync(SUMS)) return false;
  const sums = parseSums(readFileSync(SUMS, "utf8"));
  if (!TARGETS.every((target) => sums.has(target.asset) && existsSync(join(DIST, target.asset))))
    return false;
  // A release built from another version of the sources is stale: rebuild rather than test it.
  const native = join(DIST, nativeAsset);
  const version = Bun.spawnSync([native, "--version"], { stderr: "ignore" });
  return version.exitCode === 0 && version.stdout.toString().startsWith(`kpm ${releaseVersion()} (`);
}

beforeAll(async () => {
  sandbox = createSandbox();
  const printed = Bun.spawnSync(["sh", join(REPO_ROOT, "install.sh"), "--print-asset"], { env: sandbox.env });
  nativeAsset = printed.stdout.toString().trim();
  if (!artifactsUsable()) {
    console.error("build-all: dist/SHA256SUMS missing or stale; running the full cross-build");
    await buildRelease();
  }
}, 300_000);

afterAll(() => sandbox?.cleanup());

describe("build:all artifacts", () => {
  test("SHA256SUMS lists every release asset once, with the digest of the file in dist/", () => {
    const sums = parseSums(readFileSync(SUMS, "utf8"));
    expect([...sums.keys()].sort()).toEqual(TARGETS.map((target) => target.asset).sort());
    for (const [asset, digest] of sums)
      expect({ asset, digest: sha256(join(DIST, asset)) }).toEqual({ asset, digest });
  });

  test("every asset is an executable of its target's OS, architecture and libc", async () => {
    expect(Object.keys(EXPECTED).sort()).toEqual(TARGETS.map((target) => target.asset).sort());
    for (const [asset, expected] of Object.entries(EXPECTED)) {
      expect({ asset, ...(await describeExecutable(join(DIST, asset))) }).toEqual({ asset, ...expected });
    }
  });

  test("this machine's asset prints the release version", () => {
    expect(EXPECTED[nativeAsset]).toBeDefined();
    for (const args of [["--version"], ["version"]]) {
      const result = Bun.spawnSync([join(DIST, nativeAsset), ...args], {
        env: sandbox.env,
        cwd: sandbox.home,
      });
      expect(result.stdout.toString()).toStartWith(`kpm ${releaseVersion()} (commit `);
      expect(result.exitCode).toBe(0);
    }
  });

  test("the compiled asset creates the dev PKI (reflect-metadata is compiled in)", () => {
    const dir = join(sandbox.root, "pki");
    const result = Bun.spawnSync([join(DIST, nativeAsset), "dev", "enroll", "--dir", dir], {
      env: sandbox.env,
      cwd: sandbox.home,
    });
    expect(result.stderr.toString()).toContain(`✓ PKI written to ${dir}`);
    expect(readdirSync(dir).sort()).toEqual(["ca.crt", "ca.key", "clients", "server.crt", "server.key"]);
  });

  test("the compiled asset ignores a .env and a bunfig.toml preload in the working directory", () => {
    const cwd = join(sandbox.root, "hostile");
    const marker = join(sandbox.root, "preload-ran");
    mkdirSync(cwd);
    writeFileSync(join(cwd, ".env"), "KPM_LEAK=1\n");
    writeFileSync(join(cwd, "bunfig.toml"), 'preload = ["./evil.ts"]\n');
    writeFileSync(
      join(cwd, "evil.ts"),
      `require("node:fs").writeFileSync(${JSON.stringify(marker)}, "ran");\n`,
    );
    writeFileSync(join(cwd, "plain.env"), "GREETING=hello\n");
    const run = (name: string) =>
      Bun.spawnSync(
        [join(DIST, nativeAsset), "run", "--no-masking", "--from", "plain.env", "--", "printenv", name],
        { env: sandbox.env, cwd },
      );
    expect(run("GREETING").stdout.toString()).toBe("hello\n");
    const leak = run("KPM_LEAK");
    expect(leak.stdout.toString()).toBe("");
    expect(leak.exitCode).toBe(1);
    expect(existsSync(marker)).toBe(false);
  });

  test("install.sh installs this machine's asset from the built release", async () => {
    const release = Bun.serve({
      hostname: "127.0.0.1",
      port: 0,
      fetch: (request) => {
        const name = new URL(request.url).pathname.slice(1);
        const known = name === "SHA256SUMS" || TARGETS.some((target) => target.asset === name);
        return known ? new Response(Bun.file(join(DIST, name))) : new Response("", { status: 404 });
      },
    });
    try {
      const dir = join(sandbox.root, "bin");
      const child = Bun.spawn(["sh", join(REPO_ROOT, "install.sh"), "--dir", dir], {
        env: { ...sandbox.env, KPM_INSTALL_BASE_URL: `http://127.0.0.1:${release.port}` },
        stdout: "ignore",
        stderr: "pipe",
      });
      const [stderr, code] = await Promise.all([new Response(child.stderr).text(), child.exited]);
      expect(stderr).toMatch(
        new RegExp(`✓ Installed kpm ${releaseVersion()} \\(commit \\w+, built [\\d-]+\\) to ${dir}/kpm\n`),
      );
      expect(code).toBe(0);
      expect(sha256(join(dir, "kpm"))).toBe(sha256(join(DIST, nativeAsset)));
    } finally {
      release.stop(true);
    }
  });
});

describe("scripts/build.ts", () => {
  test("cross-compiles a subset into another directory with its own SHA256SUMS", async () => {
    const out = join(sandbox.root, "subset");
    const built = await buildRelease(["kpm-linux-arm64"], out);
    expect(built.map((item) => item.asset)).toEqual(["kpm-linux-arm64"]);
    expect(readdirSync(out).sort()).toEqual(["SHA256SUMS", "kpm-linux-arm64"]);
    expect(readFileSync(join(out, "SHA256SUMS"), "utf8")).toBe(
      `${sha256(join(out, "kpm-linux-arm64"))}  kpm-linux-arm64\n`,
    );
    expect(await describeExecutable(join(out, "kpm-linux-arm64"))).toEqual({
      format: "elf",
      arch: "arm64",
      interpreter: "/lib/ld-linux-aarch64.so.1",
    });
  }, 120_000);

  test("an unknown target is refused before anything is written", async () => {
    const out = join(sandbox.root, "refused");
    await expect(buildRelease(["kpm-plan9-x64"], out)).rejects.toThrow("unknown target kpm-plan9-x64");
    expect(existsSync(out)).toBe(false);
  });

  test("a release tag in KPM_VERSION becomes the version without its v", () => {
    const saved = process.env.KPM_VERSION;
    try {
      process.env.KPM_VERSION = "v9.8.7";
      expect(releaseVersion()).toBe("9.8.7");
    } finally {
      if (saved === undefined) delete process.env.KPM_VERSION;
      else process.env.KPM_VERSION = saved;
    }
  });
});

describe(".github/workflows/release.yml", () => {
  interface Step {
    run?: string;
    uses?: string;
    env?: Record<string, string>;
    with?: Record<string, string>;
  }
  interface Workflow {
    on: { push: { tags: string[] } };
    jobs: Record<
      string,
      { needs?: string; steps: Step[]; strategy?: { matrix: { include: Array<{ asset: string }> } } }
    >;
  }
  const workflow = parse(readFileSync(join(REPO_ROOT, ".github/workflows/release.yml"), "utf8")) as Workflow;
  const steps = Object.values(workflow.jobs).flatMap((job) => job.steps);
  const running = (command: string) => steps.filter((step) => step.run?.includes(command));

  test("runs on version tags and builds every target with the tag as version", () => {
    expect(workflow.on.push.tags).toEqual(["v*"]);
    const [build] = running("bun run build:all");
    expect(build?.env?.KPM_VERSION).toBe("${{ github.ref_name }}");
  });

  test("smoke-tests every release asset on a runner of its own platform before publishing", () => {
    const smoked = workflow.jobs.smoke?.strategy?.matrix.include.map((row) => row.asset).sort();
    expect(smoked).toEqual(TARGETS.map((target) => target.asset).sort());
    expect(workflow.jobs.publish?.needs).toBe("smoke");
  });

  test("verifies SHA256SUMS, uploads every asset with it, and publishes the npm package", () => {
    expect(running("sha256sum --check --strict SHA256SUMS")).toHaveLength(1);
    const upload = running("gh release create")[0]?.run ?? "";
    expect(upload).toContain("dist/kpm-* dist/SHA256SUMS");
    expect(running("bun scripts/build-npm.ts")[0]?.env?.KPM_VERSION).toBe("${{ github.ref_name }}");
    const publish = running("npm publish")[0];
    expect(publish?.env?.NODE_AUTH_TOKEN).toBe("${{ secrets.NPM_TOKEN }}");
  });
});
