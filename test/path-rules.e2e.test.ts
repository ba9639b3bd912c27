// End to end: one path rule (@kpm/path-rules) for every part. A C1 control character (U+0085) in
// a reference path is refused by the template loader and by `kpm get` alike, through the compiled
// binary, before any secret is asked for; once the template let it through to the client.
import { describe, expect, test } from "bun:test";
import { existsSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import {
  createSandbox,
  KPM_BINARY,
  type KpmResult,
  readAuditEvents,
  runKpmProcess,
  startDevServerForTest,
  vendedKeys,
  writeKpmConfig,
} from "./helpers/kpm-env.ts";

const REFERENCE = "kv/svc/a\u0085b#k";

describe.skipIf(!existsSync(KPM_BINARY))("a C1 control character in a path", () => {
  test("is refused by the template and by get with the same reason, and nothing is vended", async () => {
    const sandbox = createSandbox();
    const server = await startDevServerForTest();
    try {
      writeKpmConfig(sandbox.home, server);
      const compiled = (args: string[]): Promise<KpmResult> =>
        runKpmProcess(args, { env: sandbox.env, binary: true });
      const template = join(sandbox.home, "c1.template");
      writeFileSync(template, `TOKEN=\${kms:${REFERENCE}}\n`);

      const fromTemplate = await compiled(["env", "--from", template]);
      expect(fromTemplate.code).not.toBe(0);
      expect(fromTemplate.stdout).toBe("");
      expect(fromTemplate.stderr).toContain(`c1.template:1: invalid reference path "svc/a\u0085b"`);

      const fromGet = await compiled(["get", REFERENCE]);
      expect(fromGet.code).not.toBe(0);
      expect(fromGet.stdout).toBe("");
      expect(fromGet.stderr).toBe('error: invalid path "svc/a\u0085b": control character\n');

      // One rule, one reason: both name the control character, neither lets the path through.
      for (const result of [fromTemplate, fromGet]) {
        expect(result.stderr).toContain("control character");
        expect(result.stderr).not.toContain("Error:");
      }
      expect(vendedKeys(readAuditEvents(server))).toEqual([]);
    } finally {
      await server.stop();
      rmSync(server.dir, { recursive: true, force: true });
      sandbox.cleanup();
    }
  });
});
