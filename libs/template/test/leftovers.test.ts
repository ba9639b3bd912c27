// Guards test hygiene: the template tests, run together in one process as `bun test` runs them,
// leave nothing in the temporary directory. Each test file shares the helpers module, so a
// cleanup registered only once would clean up after the first file alone.

import { expect, test } from "bun:test";
import { chmodSync, mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

// The child run sets this so the check does not start itself again.
const CHILD = "KPM_TEMPLATE_LEFTOVERS_CHILD";

test.skipIf(process.env[CHILD] === "1")(
  "a run of every template test leaves no temporary directory behind",
  () => {
    // A private TMPDIR: other processes' /tmp/kpm-template-* entries cannot disturb the count.
    const tmp = mkdtempSync(join(tmpdir(), "kpm-template-leftovers-"));
    // Permission tests run a child as nobody, which must reach its fixtures under this directory.
    chmodSync(tmp, 0o1777);
    try {
      const run = Bun.spawnSync([process.execPath, "test", import.meta.dir], {
        cwd: join(import.meta.dir, ".."),
        env: { ...process.env, TMPDIR: tmp, [CHILD]: "1" },
        stdout: "pipe",
        stderr: "pipe",
      });
      expect(run.exitCode, run.stderr.toString().slice(-2000)).toBe(0);
      expect(readdirSync(tmp)).toEqual([]);
    } finally {
      rmSync(tmp, { recursive: true, force: true });
    }
  },
  60_000,
);
