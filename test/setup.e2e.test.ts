// README command 1 (`bun install && bun run setup`): scripts/setup.sh builds a committed snapshot of
// the checkout, installs `kpm` into ~/.local/bin through install.sh --source-only, says when that
// directory is not on PATH, and runs quickstart with the installed binary.
import { afterAll, beforeAll, expect, test } from "bun:test";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { snapshotCheckout } from "./helpers/checkout-snapshot.ts";
import { createSandbox, runKpmProcess, type Sandbox } from "./helpers/kpm-env.ts";
import { runToEnd } from "./helpers/run-to-end.ts";

let sandbox: Sandbox;
let devDir: string;

beforeAll(() => {
  sandbox = createSandbox();
  devDir = join(sandbox.root, "agentkms");
});

afterAll(async () => {
  const installed = join(sandbox.home, ".local/bin/kpm");
  if (existsSync(installed)) await runKpmProcess(["dev", "stop", "--dir", devDir], { env: sandbox.env });
  sandbox.cleanup();
});

function freePort(): number {
  const listener = Bun.listen({ hostname: "127.0.0.1", port: 0, socket: { data() {} } });
  const { port } = listener;
  listener.stop(true);
  return port;
}

test("bun run setup installs kpm on PATH and runs quickstart with it", async () => {
  const checkout = join(sandbox.root, "checkout");
  snapshotCheckout(checkout);
  const bin = join(sandbox.home, ".local/bin");
  const addr = `127.0.0.1:${freePort()}`;
  const { stderr, code } = await runToEnd(
    [process.execPath, "run", "setup", "--addr", addr, "--dir", devDir],
    { cwd: checkout, env: { ...sandbox.env, PATH: `${join(process.execPath, "..")}:/usr/bin:/bin` } },
  );
  expect(code).toBe(0);
  expect(stderr).toContain(`✓ Installed kpm 0.`);
  expect(stderr).toContain(`${bin} is not on your PATH; add it with: export PATH="${bin}:$PATH"`);
  expect(stderr).toContain("KPM quickstart complete!");

  // The installed command works by name once its directory is on PATH.
  const onPath = { ...sandbox.env, PATH: `${bin}:/usr/bin:/bin` };
  const which = Bun.spawnSync(["sh", "-c", "command -v kpm && kpm list"], { env: onPath, cwd: sandbox.home });
  expect(which.stdout.toString()).toStartWith(`${bin}/kpm\n`);
  expect(which.stdout.toString()).toMatch(/^demo\/\n {2}api-key /m);
  expect(which.exitCode).toBe(0);
}, 120_000);
