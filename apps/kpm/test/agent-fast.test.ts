// The fast path of `kpm get` (agent-fast.ts): which argv it takes, that the variables it sends are
// all that locate the config (held to paths.ts resolveDirs), and that without an agent it declines.
// biome-ignore-all lint/suspicious/noTemplateCurlyInString: references spell ${kms:…} literally
import { afterAll, describe, expect, test } from "bun:test";
import { chmodSync, mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { join } from "node:path";
import { DIRECTORY_VARIABLES, fastGet, fastPathApplies } from "../src/agent-fast.ts";
import { resolveDirs } from "../src/paths.ts";

const root = mkdtempSync("/tmp/kf-");
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe("fastPathApplies", () => {
  test("only the bare `get <ref>`, without profile expansion, with the agent on", () => {
    expect(fastPathApplies(["get", "llm/anthropic"], {})).toBe(true);
    expect(fastPathApplies(["get", "${kms:kv/a#b}"], {})).toBe(true);
    for (const argv of [
      ["get"],
      ["get", ""],
      ["get", "--help"],
      ["get", "-v"],
      ["get", "kv/{{profile:env}}/db#x"],
      ["get", "a/b", "--verbose"],
      ["list", "x"],
    ])
      expect({ argv, applies: fastPathApplies(argv, {}) }).toEqual({ argv, applies: false });
    expect(fastPathApplies(["get", "llm/a"], { KPM_NO_AGENT: "1" })).toBe(false);
  });
});

describe("DIRECTORY_VARIABLES", () => {
  test("resolveDirs reads no other variable, and each of these changes its answer", () => {
    const home = join(root, "home");
    mkdirSync(home, { recursive: true });
    const base = { HOME: home };
    const noise = {
      PATH: "/x",
      TMPDIR: "/y",
      XDG_RUNTIME_DIR: "/z",
      USER: "u",
      KPM_DEBUG: "1",
      SHELL: "/bin/sh",
    };
    expect(resolveDirs({ ...base, ...noise })).toEqual(resolveDirs(base));
    for (const name of DIRECTORY_VARIABLES) {
      const changed = resolveDirs({ ...base, [name]: join(root, `v-${name}`) });
      expect({ name, same: JSON.stringify(changed) === JSON.stringify(resolveDirs(base)) }).toEqual({
        name,
        same: false,
      });
    }
  });
});

/**
 * A stand-in agent at `path` that answers every line with PLANTED as the value, run as `uid`
 * (setpriv) when given; resolves once it listens. Stopped by closing its stdin.
 */
async function plantedAgent(path: string, uid?: number): Promise<Bun.Subprocess<"pipe", "pipe", "inherit">> {
  const script = `Bun.listen({ unix: ${JSON.stringify(path)}, socket: { data(s) { s.write('{"id":1,"value":"PLANTED"}\\n'); } } });
    console.log("ready"); for await (const _ of Bun.stdin.stream()) {} process.exit(0);`;
  const asUser = uid === undefined ? [] : ["setpriv", `--reuid=${uid}`, `--regid=${uid}`, "--clear-groups"];
  const child = Bun.spawn([...asUser, process.execPath, "-e", script], {
    stdin: "pipe",
    stdout: "pipe",
    stderr: "inherit",
  });
  const reader = child.stdout.getReader();
  const { value } = await reader.read();
  reader.releaseLock();
  expect(new TextDecoder().decode(value)).toBe("ready\n");
  return child;
}

async function stop(child: Bun.Subprocess<"pipe", "pipe", "inherit">): Promise<void> {
  child.stdin.end();
  await child.exited;
}

describe("fastGet", () => {
  test("declines (null) when no agent listens", () => {
    const temp = join(root, "t");
    mkdirSync(temp, { recursive: true, mode: 0o700 });
    expect(fastGet("llm/a", { HOME: root, TMPDIR: temp })).toBeNull();
    mkdirSync(join(temp, `kpm-${process.getuid?.() ?? 0}`), { mode: 0o700 });
    expect(fastGet("llm/a", { HOME: root, TMPDIR: temp })).toBeNull();
  });

  // The attack: another user's process listening where the agent's socket belongs (a runtime
  // directory it could write to). Run as root only, which can start that process as nobody.
  test.if(process.platform === "linux" && process.getuid?.() === 0)(
    "asks only a process of this user: a stand-in agent run as nobody is never asked",
    async () => {
      const shared = mkdtempSync("/tmp/kf-shared-");
      try {
        chmodSync(shared, 0o755);
        const runtime = join(shared, "kpm-0");
        mkdirSync(runtime, { mode: 0o777 });
        chmodSync(runtime, 0o777);
        const env = { HOME: root, TMPDIR: shared };
        const foreign = await plantedAgent(join(runtime, "agent.sock"), 65534);
        try {
          expect(fastGet("llm/a", env)).toBeNull();
        } finally {
          await stop(foreign);
        }
        rmSync(join(runtime, "agent.sock"), { force: true });
        // The same stand-in run as this user is asked and believed: the check above is what refused it.
        const own = await plantedAgent(join(runtime, "agent.sock"));
        try {
          expect(fastGet("llm/a", env)).toBe("PLANTED");
        } finally {
          await stop(own);
        }
      } finally {
        rmSync(shared, { recursive: true, force: true });
      }
    },
  );
});
