// The compiled binary (spec §16.1): a real version string, and a `.env` or `bunfig.toml` preload
// in the current directory never runs inside it. dist/kpm comes from `bun run build` (the test
// script builds first); when it is missing this file builds it, so it never skips.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { ensureCompiledBinary, runKpm } from "./helpers/run-kpm.ts";
import { type TempHome, tempHome } from "./helpers/temp-home.ts";

let sandbox: TempHome;
/** A cwd with a `.env` and a `bunfig.toml` whose preload writes `marker` when it runs. */
let hostile: string;
let marker: string;
beforeAll(() => {
  ensureCompiledBinary();
  sandbox = tempHome();
  hostile = join(sandbox.root, "hostile");
  marker = join(sandbox.root, "preload-ran");
  mkdirSync(hostile);
  writeFileSync(join(hostile, ".env"), "KPM_LEAK=1\nKPM_CONFIG=/nonexistent-from-dotenv\n");
  writeFileSync(
    join(hostile, "preload.ts"),
    `require("node:fs").writeFileSync(${JSON.stringify(marker)}, "ran");\n`,
  );
  writeFileSync(join(hostile, "bunfig.toml"), 'preload = ["./preload.ts"]\n');
});
afterAll(() => sandbox.cleanup());

describe("dist/kpm", () => {
  test("--version prints kpm <semver> from the build, not dev", async () => {
    const result = await runKpm(["--version"], { env: sandbox.env, binary: "compiled" });
    expect(result.code).toBe(0);
    expect(result.stderr).toBe("");
    expect(result.stdout).toMatch(
      /^kpm \d+\.\d+\.\d+(-[0-9A-Za-z.-]+)? \(commit [0-9a-f]{12}, built \d{4}-\d{2}-\d{2}\)\n$/,
    );
    const pkg = JSON.parse(readFileSync(join(import.meta.dir, "../apps/kpm/package.json"), "utf8")) as {
      version: string;
    };
    // KPM_VERSION overrides the package version for release builds (scripts/build.ts).
    if (!process.env.KPM_VERSION) expect(result.stdout).toStartWith(`kpm ${pkg.version} (commit `);
  });

  test("--help prints the usage on stdout with the resolved config path", async () => {
    const result = await runKpm(["--help"], { env: sandbox.env, binary: "compiled" });
    expect(result.code).toBe(0);
    expect(result.stderr).toBe("");
    expect(result.stdout.split("\n")[0]).toBe("kpm — secure secrets CLI backed by AgentKMS");
    expect(result.stdout).toContain(`(default: ${sandbox.configDir}/config.yaml)`);
  });

  test("a .env and a bunfig.toml preload in the cwd do not run inside the binary", async () => {
    // Observing process.env from inside needs a command that prints it (kpm run -- printenv,
    // covered by the run tests); here the preload's side effect is the observable.
    const result = await runKpm(["init"], { env: sandbox.env, cwd: hostile, binary: "compiled" });
    const configPath = join(sandbox.configDir, "config.yaml");
    expect(result).toEqual({
      code: 0,
      stdout: "",
      stderr: `✓ Config written to ${configPath}\n  Edit it with your AgentKMS server details and cert paths.\n`,
    });
    // KPM_CONFIG from the .env would have redirected the config; the preload would have left a marker.
    expect(statSync(configPath).mode & 0o777).toBe(0o600);
    expect(existsSync(marker)).toBe(false);
  });

  test("the same preload does run under plain bun (the fixture is sound)", () => {
    const probe = Bun.spawnSync([process.execPath, "-e", "0"], { cwd: hostile, env: sandbox.env });
    expect(probe.exitCode).toBe(0);
    expect(readFileSync(marker, "utf8")).toBe("ran");
  });
});
