// The npm package end to end (spec §16.3, §18.27): scripts/build-npm.ts → `npm pack` → an
// offline `npm install` of the tarball → the installed `kpm` bin run under Bun, including the
// decrypt listener it re-executes and a hostile `.env` + `bunfig.toml` in the working directory.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { buildNpmPackage, npmManifest, SHEBANG } from "../scripts/build-npm.ts";
import {
  createSandbox,
  parseShellExports,
  REPO_ROOT,
  type Sandbox,
  seedCredential,
  startDevServerForTest,
  stopListeners,
  type TestDevServer,
  writeKpmConfig,
} from "./helpers/kpm-env.ts";
import { type ProcessOutput, runToEnd } from "./helpers/run-to-end.ts";

const API_KEY = "sk-npm-e2e-marker-5f1c0a";

let sandbox: Sandbox;
let packageDir = "";
let tarball = "";
let project = "";
let kpmBin = "";
/** A working directory with a `.env` and a `bunfig.toml` preload that Bun would normally load. */
let hostile = "";
let marker = "";
let env: Record<string, string>;

function run(argv: string[], opts: { cwd: string; env?: Record<string, string> }): Promise<ProcessOutput> {
  return runToEnd(argv, { cwd: opts.cwd, env: opts.env ?? env });
}

function expectOk(result: ProcessOutput, what: string): void {
  if (result.code !== 0) throw new Error(`${what} failed (${result.code}): ${result.stderr}${result.stdout}`);
}

beforeAll(async () => {
  sandbox = createSandbox();
  // `/usr/bin/env bun` in the shebang must find this Bun; npm's cache stays inside the sandbox.
  env = {
    ...sandbox.env,
    PATH: `${dirname(process.execPath)}:${sandbox.env.PATH}`,
    npm_config_cache: join(sandbox.root, "npm-cache"),
    npm_config_update_notifier: "false",
    npm_config_fund: "false",
    npm_config_audit: "false",
  };
  packageDir = await buildNpmPackage({ outDir: join(sandbox.root, "npm") });

  const packed = await run(["npm", "pack", "--pack-destination", sandbox.root, packageDir], {
    cwd: sandbox.root,
  });
  expectOk(packed, "npm pack");
  tarball = join(sandbox.root, packed.stdout.trim().split("\n").at(-1) ?? "");

  project = join(sandbox.root, "p");
  mkdirSync(project);
  writeFileSync(join(project, "package.json"), '{"name":"consumer","private":true}\n');
  const installed = await run(["npm", "install", "--offline", "--no-package-lock", tarball], {
    cwd: project,
  });
  expectOk(installed, "npm install");
  kpmBin = join(project, "node_modules/.bin/kpm");

  hostile = join(sandbox.root, "w");
  marker = join(sandbox.root, "preload-ran");
  mkdirSync(hostile);
  writeFileSync(join(hostile, ".env"), "KPM_LEAK=1\n");
  writeFileSync(join(hostile, "bunfig.toml"), 'preload = ["./evil.ts"]\n');
  writeFileSync(
    join(hostile, "evil.ts"),
    `require("node:fs").appendFileSync(${JSON.stringify(marker)}, "ran\\n");\n`,
  );
  writeFileSync(join(hostile, "plain.env"), "GREETING=hello\n");
}, 120_000);

afterAll(() => {
  sandbox?.cleanup();
});

describe("npm package: contents", () => {
  test("the tarball holds exactly package.json, one bundled bin, README and LICENSE", async () => {
    const listing = await run(["tar", "-tzf", tarball], { cwd: sandbox.root });
    expect(listing.stdout.trim().split("\n").sort()).toEqual([
      "package/LICENSE",
      "package/README.md",
      "package/bin/kpm.js",
      "package/package.json",
    ]);
  });

  test("package.json declares the kpm bin, the app's version, Bun as engine and no dependencies", () => {
    const manifest = JSON.parse(
      readFileSync(join(project, "node_modules/kpm/package.json"), "utf8"),
    ) as Record<string, unknown>;
    const app = JSON.parse(readFileSync(join(REPO_ROOT, "apps/kpm/package.json"), "utf8")) as {
      version: string;
    };
    expect(manifest.name).toBe("kpm");
    expect(manifest.version).toBe(process.env.KPM_VERSION?.replace(/^v/, "") ?? app.version);
    expect(manifest.bin).toEqual({ kpm: "bin/kpm.js" });
    expect(manifest.engines).toEqual({ bun: ">=1.4.5" });
    expect(manifest.dependencies).toBeUndefined();
    expect(JSON.stringify(manifest)).not.toContain("workspace:");
  });

  test("the manifest names the GitHub repository (needed by npm provenance) only when Actions sets it", () => {
    const app = { version: "1.0.0", description: "d", license: "Apache-2.0" };
    const saved = process.env.GITHUB_REPOSITORY;
    try {
      delete process.env.GITHUB_REPOSITORY;
      expect(npmManifest("1.0.0", app).repository).toBeUndefined();
      process.env.GITHUB_REPOSITORY = "acme/kpm";
      expect(npmManifest("1.0.0", app).repository).toEqual({
        type: "git",
        url: "git+https://github.com/acme/kpm.git",
      });
    } finally {
      if (saved === undefined) delete process.env.GITHUB_REPOSITORY;
      else process.env.GITHUB_REPOSITORY = saved;
    }
  });

  test("the bin is one file whose first line is the exact no-.env, no-bunfig shebang", () => {
    expect(readdirSync(join(packageDir, "bin"))).toEqual(["kpm.js"]);
    const text = readFileSync(join(project, "node_modules/kpm/bin/kpm.js"), "utf8");
    expect(text.split("\n", 1)[0]).toBe(SHEBANG);
    expect(SHEBANG).toBe("#!/usr/bin/env -S bun --no-env-file --config=/dev/null");
    // Nothing reaches back into the workspace: every lazy command is inlined.
    expect(text).not.toContain("@kpm/");
    expect(text).not.toMatch(/import\(["']\.\//);
  });
});

describe("npm package: the installed bin", () => {
  test("kpm --version prints the package version", async () => {
    const manifest = JSON.parse(readFileSync(join(packageDir, "package.json"), "utf8")) as {
      version: string;
    };
    const result = await run([kpmBin, "--version"], { cwd: project });
    expect(result.stderr).toBe("");
    expect(result.stdout).toStartWith(`kpm ${manifest.version} (commit `);
    expect(result.code).toBe(0);
  });

  test("kpm dev enroll writes the PKI (x509 and reflect-metadata work bundled)", async () => {
    const dir = join(sandbox.root, "enrolled");
    const result = await run([kpmBin, "dev", "enroll", "--dir", dir], { cwd: project });
    expect(result.stderr).toContain(`✓ PKI written to ${dir}`);
    expect(result.code).toBe(0);
    for (const file of ["ca.crt", "ca.key", "server.crt", "server.key", "clients/forge-gateway/client.crt"]) {
      expect(existsSync(join(dir, file))).toBe(true);
    }
    const cert = Bun.spawnSync(["openssl", "x509", "-noout", "-subject", "-in", join(dir, "server.crt")]);
    if (cert.exitCode === 0) expect(cert.stdout.toString()).toContain("agentkms-dev");
  });

  test("Bun itself would load the hostile .env and preload in that directory (the trap is armed)", async () => {
    const result = await run([process.execPath, "-e", "console.log(process.env.KPM_LEAK ?? 'unset')"], {
      cwd: hostile,
    });
    expect(result.stdout).toBe("1\n");
    expect(existsSync(marker)).toBe(true);
    // Reset for the tests that must not trigger it.
    Bun.spawnSync(["rm", "-f", marker]);
  });

  test("a .env and a bunfig.toml preload in the working directory are ignored", async () => {
    const result = await run(
      [kpmBin, "run", "--no-masking", "--from", "plain.env", "--", "printenv", "KPM_LEAK"],
      {
        cwd: hostile,
      },
    );
    expect(result.stdout).toBe("");
    expect(result.code).toBe(1);
    expect(existsSync(marker)).toBe(false);
    const greeting = await run(
      [kpmBin, "run", "--no-masking", "--from", "plain.env", "--", "printenv", "GREETING"],
      {
        cwd: hostile,
      },
    );
    expect(greeting.stdout).toBe("hello\n");
    expect(existsSync(marker)).toBe(false);
  });
});

describe("npm package: encrypted environment", () => {
  let server: TestDevServer;

  beforeAll(async () => {
    server = await startDevServerForTest();
    await seedCredential(server.dir, "llm/anthropic", { api_key: API_KEY });
    writeKpmConfig(sandbox.home, server);
    // biome-ignore lint/suspicious/noTemplateCurlyInString: a kpm template reference, spelled literally
    writeFileSync(join(hostile, "kms.env"), "ANTHROPIC_API_KEY=${kms:llm/anthropic}\nPLAIN=visible\n");
  }, 60_000);

  afterAll(async () => {
    stopListeners(sandbox.runtimeDir);
    await server?.remove();
  });

  test("kpm env starts a listener re-executed through Bun without .env/bunfig, and kpm run decrypts through it", async () => {
    const loaded = await run([kpmBin, "env", "--from", "kms.env", "--output", "shell"], { cwd: hostile });
    expect(loaded.stderr).toContain("✓ Resolved 1 secret from AgentKMS");
    expect(loaded.code).toBe(0);
    expect(loaded.stdout).not.toContain(API_KEY);
    expect(loaded.stderr).not.toContain(API_KEY);
    const exported = parseShellExports(loaded.stdout);
    const sessionId = exported.KPM_SESSION ?? "";
    const socket = exported.KPM_DECRYPT_SOCK ?? "";
    expect(exported.ANTHROPIC_API_KEY).toStartWith("ENC[kpm:");
    expect(existsSync(socket)).toBe(true);

    const record = JSON.parse(readFileSync(join(sandbox.runtimeDir, `${sessionId}.json`), "utf8")) as {
      pid: number;
    };
    const argv = readFileSync(`/proc/${record.pid}/cmdline`, "utf8").split("\0").filter(Boolean);
    expect(argv.slice(0, 4)).toEqual([
      process.execPath,
      "--no-env-file",
      "--config=/dev/null",
      join(project, "node_modules/kpm/bin/kpm.js"),
    ]);
    expect(argv.join(" ")).not.toContain(API_KEY);

    const decrypted = await run([kpmBin, "run", "--no-masking", "--", "printenv", "ANTHROPIC_API_KEY"], {
      cwd: hostile,
      env: { ...env, ...exported },
    });
    expect(decrypted.stdout).toBe(`${API_KEY}\n`);
    expect(decrypted.code).toBe(0);
    expect(existsSync(marker)).toBe(false);

    const unloaded = await run([kpmBin, "env", "--unload", "--output", "shell"], {
      cwd: hostile,
      env: { ...env, ...exported, SHELL: "/bin/sh" },
    });
    expect(unloaded.stderr).toContain("✓ Stopped 1 session listener");
    expect(existsSync(socket)).toBe(false);
  });
});
