// Starting the agent: the ready line decides (started, refused with a reason, garbage, silence),
// and the agent receives only the minimal environment, never the caller's secrets.
import { afterAll, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { interpretReadyLine, launchAgent } from "../src/launch.ts";

const dir = mkdtempSync("/tmp/kl-");
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function fakeAgent(name: string, body: string): string[] {
  const path = join(dir, `${name}.ts`);
  writeFileSync(path, body);
  return [process.execPath, path];
}

const launch = (command: string[], env: Record<string, string | undefined> = {}) =>
  launchAgent({ command, env, idleTimeoutSeconds: 9, cacheTtlSeconds: 8, config: "/c.yaml" });

describe("launchAgent", () => {
  test("a ready line with a pid is a start; the agent gets its flags and a minimal environment", async () => {
    const command = fakeAgent(
      "ok",
      "console.log(JSON.stringify({ ready: false, error: JSON.stringify({ argv: process.argv.slice(2), env: process.env }) }));",
    );
    const outcome = await launch(command, {
      HOME: "/h",
      TMPDIR: "rel",
      SECRET_TOKEN: "s3cret",
      KPM_NO_AGENT: "0",
    });
    expect(outcome.ok).toBe(false);
    const seen = JSON.parse((outcome as { reason: string }).reason);
    expect(seen.argv).toEqual(["_agent", "--idle-timeout", "9", "--cache-ttl", "8", "--config", "/c.yaml"]);
    expect(seen.env.HOME).toBe("/h");
    expect(seen.env.TMPDIR).toBe(join(process.cwd(), "rel"));
    expect(seen.env.SECRET_TOKEN).toBeUndefined();
    expect(seen.env.KPM_NO_AGENT).toBeUndefined();

    const ready = fakeAgent("ready", "console.log(JSON.stringify({ ready: true, pid: 4242 }));");
    expect(await launch(ready)).toEqual({ ok: true, pid: 4242 });
  });

  test("silence and garbage are failures with a reason", async () => {
    expect(await launch(fakeAgent("silent", "process.exit(3);"))).toEqual({
      ok: false,
      reason: "it exited without reporting ready",
    });
    expect(await launch(fakeAgent("garbage", 'console.log("hello");'))).toEqual({
      ok: false,
      reason: "unexpected status output",
    });
    expect(await launch(fakeAgent("long", 'process.stdout.write("x".repeat(5000));'))).toEqual({
      ok: false,
      reason: "it exited without reporting ready",
    });
  });

  test("interpretReadyLine", () => {
    expect(interpretReadyLine('{"ready":true,"pid":1}')).toEqual({ ok: true, pid: 1 });
    expect(interpretReadyLine('{"ready":true}')).toEqual({ ok: false, reason: "unexpected status output" });
    expect(interpretReadyLine("null")).toEqual({ ok: false, reason: "unexpected status output" });
    expect(interpretReadyLine('{"ready":false,"error":"why"}')).toEqual({ ok: false, reason: "why" });
  });
});
