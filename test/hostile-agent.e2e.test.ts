// Issue 15 "done when": a hostile agent under `kpm run --secure`, run as `nobody` with a fresh
// HOME (kpm's config, client key, trust store and dev-server directory in their usual places, a
// loaded session in the shell that starts it). The agent (fixtures/hostile/agent.py, named as the
// allow-listed tool `claude`) tries each escape — kpm's files, `kpm get` with kpm's own key,
// /proc/<parent|grandparent>/environ and mem, every listener socket with every blob it can find
// — and must obtain no secret beyond its allow-list. With --confine=off the same escapes succeed,
// so the test can fail. Linux with Landlock only; it says so when skipped.
// biome-ignore-all lint/suspicious/noTemplateCurlyInString: templates spell ${kms:…} literally
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import {
  chownSync,
  copyFileSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  rmSync,
  statSync,
  writeFileSync,
} from "node:fs";
import { join } from "node:path";
import { landlockAbi } from "@kpm/libc";
import {
  type KpmResult,
  parseShellExports,
  seedCredential,
  startDevServerForTest,
  stopAgent,
  stopListeners,
  type TestDevServer,
} from "./helpers/kpm-env.ts";
import { AS_NOBODY, NOBODY } from "./helpers/processes.ts";
import { ensureCompiledBinary } from "./helpers/run-kpm.ts";
import { runToEnd } from "./helpers/run-to-end.ts";

const GRANTED = "sk-ant-GRANTED-7a1c";
/** Secrets the agent is not granted: one in its template but not its allow-list, one only in the shell's session. */
const NOT_GRANTED = {
  DB_PASSWORD: "pw-NOTGRANTED-db-3e9f",
  GH_TOKEN: "ghp-NOTGRANTED-gh-51d2",
  /** A plaintext token the shell exported itself, outside kpm. */
  GITHUB_TOKEN: "ghp_NOTGRANTEDinheritedPlain9k2",
};
const abi = landlockAbi();
const canRun = process.platform === "linux" && abi.ok && process.getuid?.() === 0;
if (!canRun)
  console.warn(
    `hostile-agent.e2e.test.ts: SKIPPED — needs Linux with Landlock, run as root to switch to nobody (${abi.ok ? `uid ${process.getuid?.()}` : abi.reason})`,
  );

let root = "";
let home = "";
let tmp = "";
let project = "";
let bin = "";
let server: TestDevServer | undefined;
let ownerShell: Bun.Subprocess | undefined;
let session: Record<string, string> = {};
let binary = "";
const kpmFiles: Record<string, string> = {};

function chownTree(path: string): void {
  chownSync(path, NOBODY, NOBODY);
  if (statSync(path).isDirectory()) for (const entry of readdirSync(path)) chownTree(join(path, entry));
}

function nobodyEnv(extra: Record<string, string> = {}): Record<string, string> {
  return { HOME: home, TMPDIR: tmp, PATH: `${bin}:/usr/local/bin:/usr/bin:/bin`, LANG: "C.UTF-8", ...extra };
}

function asNobody(argv: string[], env: Record<string, string>, cwd = home): Promise<KpmResult> {
  return runToEnd([...AS_NOBODY, ...argv], { env, cwd, timeout: 60_000 });
}

beforeAll(async () => {
  if (!canRun) return;
  binary = ensureCompiledBinary();
  root = mkdtempSync("/tmp/ka-");
  home = join(root, "h");
  tmp = join(root, "t");
  project = join(root, "proj");
  bin = join(root, "bin");
  const devDir = join(home, ".agentkms/dev");
  const certs = join(home, ".local/share/kpm/certs");
  for (const dir of [
    home,
    tmp,
    join(project, ".kpm/templates"),
    bin,
    devDir,
    certs,
    join(home, ".config/kpm"),
  ])
    mkdirSync(dir, { recursive: true, mode: 0o700 });
  // The embedded dev server on its usual directory, and kpm configured for it as quickstart does.
  server = await startDevServerForTest({ dir: devDir });
  await seedCredential(devDir, "llm/anthropic", { api_key: GRANTED });
  await seedCredential(devDir, "generic/db", { password: NOT_GRANTED.DB_PASSWORD });
  await seedCredential(devDir, "generic/github", { token: NOT_GRANTED.GH_TOKEN });
  for (const [name, path] of Object.entries(server.clientFiles))
    copyFileSync(path, join(certs, `${name}.pem`));
  writeFileSync(
    join(home, ".config/kpm/config.yaml"),
    `server: ${server.addr}\ncert: ${certs}/cert.pem\nkey: ${certs}/key.pem\nca: ${certs}/ca.pem\n`,
  );
  // aider is allow-listed too, and pinned: a copy of claude under its name must not get its grant.
  writeFileSync(
    join(home, ".config/kpm/secure-allowlist.yaml"),
    `claude: [ANTHROPIC_API_KEY]\naider:\n  path: ${bin}/aider\n  DB_PASSWORD: kv/db#password\n`,
  );
  writeFileSync(join(bin, "aider"), "#!/bin/sh\necho real aider\n", { mode: 0o755 });
  writeFileSync(join(project, ".kpm/templates/aider.template"), "DB_PASSWORD=${kms:kv/db#password}\n");
  writeFileSync(
    join(project, ".kpm/templates/claude.template"),
    "ANTHROPIC_API_KEY=${kms:llm/anthropic}\nDB_PASSWORD=${kms:kv/db#password}\n",
  );
  writeFileSync(
    join(home, "shell.template"),
    "GH_TOKEN=${kms:kv/github#token}\nDB_PASSWORD=${kms:kv/db#password}\n",
  );
  copyFileSync(join(import.meta.dir, "fixtures/hostile/agent.py"), join(bin, "claude"));
  for (const path of [root, home, tmp, project, bin]) chownTree(path);

  const trusted = await asNobody([binary, "trust", project], nobodyEnv());
  expect(trusted.code).toBe(0);
  // The user's shell: a loaded session (blobs, KPM_SESSION, KPM_DECRYPT_SOCK) owned by a stand-in.
  ownerShell = Bun.spawn([...AS_NOBODY, "sleep", "3600"], {
    stdin: "ignore",
    stdout: "ignore",
    stderr: "ignore",
  });
  const loaded = await asNobody(
    [
      binary,
      "env",
      "--from",
      join(home, "shell.template"),
      "--output",
      "shell",
      "--shell-pid",
      String(ownerShell.pid),
    ],
    nobodyEnv(),
  );
  expect(loaded.code).toBe(0);
  session = parseShellExports(loaded.stdout);
  expect(session.GH_TOKEN).toStartWith("ENC[kpm:");
  // A blob that leaked out of the shell (a log, a .env file): the listener must still refuse.
  writeFileSync(join(project, "leaked-blob.txt"), `${session.GH_TOKEN}\n`);
  chownTree(project);
  Object.assign(kpmFiles, {
    "client-key": join(certs, "key.pem"),
    config: join(home, ".config/kpm/config.yaml"),
    "dev-ca-key": join(devDir, "ca.key"),
    "dev-store": join(devDir, "secrets.enc"),
    "trust-store": join(home, ".local/share/kpm/trust.json"),
  });
}, 60_000);

afterAll(async () => {
  ownerShell?.kill("SIGKILL");
  if (tmp) stopListeners(join(tmp, `kpm-${NOBODY}`));
  // The read commands here start the per-user agent (docs/agent.md), as they would for a user.
  if (tmp) stopAgent(join(tmp, `kpm-${NOBODY}`));
  await server?.remove();
  if (root) rmSync(root, { recursive: true, force: true, maxRetries: 5, retryDelay: 50 });
});

/** The shell (a nobody `sh` holding the session) runs `kpm run --secure -- claude …`. */
async function attack(flags: string[]): Promise<{ result: KpmResult; escapes: Record<string, string> }> {
  const agentArgs = [
    "--kpm",
    binary,
    "--ref",
    "kv/db#password",
    "--blob-file",
    join(project, "leaked-blob.txt"),
    "--aider-template",
    join(project, ".kpm/templates/aider.template"),
    ...Object.entries(kpmFiles).map(([label, path]) => `${label}=${path}`),
  ];
  const quoted = [binary, "run", "--secure", "--no-masking", ...flags, "--", "claude", ...agentArgs]
    .map((word) => `'${word}'`)
    .join(" ");
  // `; :` keeps sh alive as kpm's parent: the agent's grandparent is the shell.
  const shellEnv = nobodyEnv({ ...session, GITHUB_TOKEN: NOT_GRANTED.GITHUB_TOKEN });
  const result = await asNobody(["/bin/sh", "-c", `${quoted}; :`], shellEnv, project);
  const escapes: Record<string, string> = {};
  for (const match of result.stdout.matchAll(/^ESCAPE (\S+): (ok|blocked)/gm))
    escapes[match[1] as string] = match[2] as string;
  return { result, escapes };
}

// The last two are stopped by the inherited-env policy and the tool pin, not by confinement; each
// is shown succeeding without its defence in hostile-agent-env.e2e.test.ts.
const ALL_ESCAPES = [
  "read-client-key",
  "read-config",
  "read-dev-ca-key",
  "read-dev-store",
  "read-trust-store",
  "kpm-get",
  "read-parent-environ",
  "open-parent-mem",
  "read-grandparent-environ",
  "open-grandparent-mem",
  "list-runtime-dir",
  "listener-decrypt",
  "agent-get",
  "print-inherited-gh-token",
  "exec-as-other-tool",
];

describe.if(canRun)("a hostile agent under kpm run --secure, as nobody", () => {
  test("confined (default): every escape fails and no secret beyond its allow-list comes out", async () => {
    const { result, escapes } = await attack([]);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain(`GRANTED ${GRANTED}`);
    expect(Object.keys(escapes).sort()).toEqual([...ALL_ESCAPES].sort());
    // The runtime directory holds no secret and, in the shared TMPDIR, stays listable: the listeners refuse instead.
    const { "list-runtime-dir": listed, ...others } = escapes;
    expect(listed).toBe("ok");
    expect(others).toEqual(Object.fromEntries(Object.keys(others).map((name) => [name, "blocked"])));
    expect(result.stdout).toContain("refused: the client runs confined");
    // The per-user agent was there to ask, and refused the confined client.
    expect(result.stdout).toContain("--- agent-get ---");
    // The copy was made and run: kpm inside the confinement cannot even read its config.
    expect(result.stdout).toContain("--- exec-as-other-tool ---");
    const all = result.stdout + result.stderr;
    for (const secret of Object.values(NOT_GRANTED)) expect(all).not.toContain(secret);
    expect(all).not.toContain("PRIVATE KEY");
    expect(all).not.toContain("ENC[kpm");
  });

  test("--confine=off: the same agent walks out with the secrets (the attack the confinement stops)", async () => {
    const { result, escapes } = await attack(["--confine=off"]);
    expect(result.code).toBe(0);
    expect(escapes).toMatchObject({
      "read-client-key": "ok",
      "read-config": "ok",
      "read-dev-ca-key": "ok",
      "read-trust-store": "ok",
      "kpm-get": "ok",
      "read-grandparent-environ": "ok",
      "listener-decrypt": "ok",
      "agent-get": "ok",
    });
    // The environment policy and the pin hold without confinement.
    expect(escapes["print-inherited-gh-token"]).toBe("blocked");
    expect(escapes["exec-as-other-tool"]).toBe("blocked");
    expect(result.stdout).toContain("is not the pinned");
    // kpm itself stays non-dumpable either way (process hardening), so its environ is not the way in.
    expect(escapes["read-parent-environ"]).toBe("blocked");
    expect(result.stdout).toContain(NOT_GRANTED.DB_PASSWORD);
    expect(result.stdout).toContain(NOT_GRANTED.GH_TOKEN);
    expect(result.stdout).toContain("PRIVATE KEY");
  });
});
