import { expect, test } from "bun:test";
import { isPidAlive } from "../src/index.ts";

test("a running process is alive; an exited one, a pid past pid_max and non-positive pids are not", async () => {
  expect(isPidAlive(process.pid)).toBe(true);
  const child = Bun.spawn(["true"]);
  await child.exited;
  expect(isPidAlive(child.pid)).toBe(false);
  expect(isPidAlive(2 ** 22 + 12345)).toBe(false);
  // kill(0, 0) and kill(-1, 0) would ask about process groups, which always "exist".
  for (const pid of [0, -1, 1.5, Number.NaN]) expect(isPidAlive(pid)).toBe(false);
});

test("another user's process is alive: EPERM means it exists", async () => {
  // As nobody, kill(1, 0) fails with EPERM; as root it succeeds. Alive either way.
  expect(isPidAlive(1)).toBe(true);
  const script = `const { isPidAlive } = await import(${JSON.stringify(`${import.meta.dir}/../src/pid.ts`)});
let code = 0;
try { process.kill(1, 0); } catch (error) { code = error.code; }
console.log(code, isPidAlive(1));`;
  const asNobody = Bun.spawn(
    ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", process.execPath, "-e", script],
    { stdout: "pipe", stderr: "pipe", env: { PATH: process.env.PATH ?? "/usr/bin:/bin" } },
  );
  const out = await new Response(asNobody.stdout).text();
  expect(await asNobody.exited).toBe(0);
  expect(out.trim()).toBe("EPERM true");
});
