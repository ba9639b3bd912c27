// `kpm doctor` end to end with the compiled binary: a real dev server on an ephemeral port with fresh
// PKI, a second PKI for foreign keys and CAs, certificates re-signed with openssl, a real listener.
// Each broken setup gives its own ✗ line with a fix and exit 1; a healthy one is all ✓ and exit 0.
// biome-ignore-all lint/suspicious/noTemplateCurlyInString: templates spell ${kms:…} literally
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import {
  chmodSync,
  copyFileSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { join } from "node:path";
import { enroll } from "@kpm/agentkms-dev";
import {
  type ClientFiles,
  createSandbox,
  type KpmResult,
  parseShellExports,
  runKpmProcess,
  type Sandbox,
  seedCredential,
  startDevServerForTest,
  type TestDevServer,
  writeKpmConfig,
} from "./helpers/kpm-env.ts";
import { reissueCertificate } from "./helpers/openssl.ts";

const MARKER = "sk-DOCTORMARKER-7f3a";

let server: TestDevServer;
let otherPki: string;
const sandboxes: Sandbox[] = [];

beforeAll(async () => {
  server = await startDevServerForTest();
  await seedCredential(server.dir, "llm/anthropic", { api_key: MARKER });
  otherPki = mkdtempSync("/tmp/kd-other-");
  await enroll(otherPki);
});

afterAll(async () => {
  for (const sandbox of sandboxes) sandbox.cleanup();
  await server.remove();
  rmSync(otherPki, { recursive: true, force: true });
});

function sandbox(): Sandbox {
  const created = createSandbox();
  sandboxes.push(created);
  return created;
}

/** A sandbox whose config names `files` (the dev server's client files unless overridden). */
function configured(files: Partial<ClientFiles> = {}, addr = server.addr): Sandbox {
  const created = sandbox();
  writeKpmConfig(created.home, { addr, clientFiles: { ...server.clientFiles, ...files } });
  return created;
}

async function doctor(
  env: Record<string, string | undefined>,
  args: string[] = [],
  cwd?: string,
): Promise<KpmResult> {
  const result = await runKpmProcess(["doctor", ...args], { env, binary: true, ...(cwd ? { cwd } : {}) });
  if (process.env.DOCTOR_SHOW) console.log(result.stdout);
  // Never key material, never a secret value, never a stack trace.
  const keyBody = readFileSync(server.clientFiles.key, "utf8").split("\n")[1] ?? "";
  for (const text of [result.stdout, result.stderr]) {
    expect(text).not.toContain(keyBody);
    expect(text).not.toContain(MARKER);
    expect(text).not.toContain("    at ");
  }
  return result;
}

function lines(result: KpmResult): string[] {
  return result.stdout.trimEnd().split("\n");
}

function lineFor(result: KpmResult, prefix: string): string {
  const found = lines(result).filter((line) => line.startsWith(prefix));
  expect(found).toHaveLength(1);
  return found[0] ?? "";
}

/**
 * A copy of the dev client's files (as quickstart lays them out) whose certificate is re-signed by
 * the dev CA for the same key, valid `days` (negative: already expired).
 */
function reissuedClient(days: number): ClientFiles {
  const dir = join(sandbox().root, "certs");
  mkdirSync(dir, { mode: 0o700 });
  const files = { cert: join(dir, "client.crt"), key: join(dir, "client.key"), ca: join(dir, "ca.crt") };
  copyFileSync(server.clientFiles.key, files.key);
  copyFileSync(server.clientFiles.ca, files.ca);
  reissueCertificate({
    key: files.key,
    subject: "/O=AgentKMS Dev/CN=forge-gateway",
    extensions: ["basicConstraints=CA:FALSE", "extendedKeyUsage=clientAuth"],
    caDir: server.dir,
    serial: 7777,
    days,
    out: files.cert,
  });
  return files;
}

describe("kpm doctor", () => {
  test("a healthy setup: every line ✓, exit 0, and --json parses to the same checks", async () => {
    const home = configured();
    const result = await doctor(home.env);
    expect(result.stderr).toBe("");
    expect(result.code).toBe(0);
    const { cert, key, ca } = server.clientFiles;
    expect(lines(result)).toEqual([
      `✓ config ${home.home}/.config/kpm/config.yaml: server ${server.addr}`,
      expect.stringMatching(
        new RegExp(`^✓ CA ${ca}: CN=agentkms-dev-ca, expires in \\d+ days \\(\\d{4}-\\d\\d-\\d\\d\\)$`),
      ),
      expect.stringMatching(
        new RegExp(
          `^✓ client cert ${cert}: CN=forge-gateway, issued by the CA, expires in \\d+ days \\(.*\\)$`,
        ),
      ),
      `✓ client key ${key}: EC P-256, matches the client cert, mode 0600`,
      `✓ server ${server.addr}: reachable`,
      `✓ TLS: TLS 1.3; server verified with ${ca}, client certificate accepted`,
      "✓ auth: POST /auth/session issued a session token",
      expect.stringMatching(/^✓ clock: within 1 s of the server$/),
      "✓ listeners: none in this shell (no kpm env loaded)",
      `✓ allow-list: none (only kpm run --secure needs one: ${home.home}/.config/kpm/secure-allowlist.yaml or ${home.home}/.kpm/secure-allowlist.yaml)`,
      `✓ project trust ${home.home}: no project files under .kpm/`,
    ]);

    const json = await doctor(home.env, ["--json"]);
    expect(json.code).toBe(0);
    const parsed = JSON.parse(json.stdout) as Array<Record<string, unknown>>;
    expect(parsed.map((entry) => entry.id)).toEqual([
      "config",
      "ca",
      "cert",
      "key",
      "server",
      "tls",
      "auth",
      "clock",
      "listener",
      "allowlist",
      "trust",
    ]);
    for (const entry of parsed) {
      expect(entry).toMatchObject({ ok: true, status: "ok" });
      expect(Object.keys(entry).sort()).toEqual(["check", "detail", "id", "ok", "status"]);
    }
    expect(parsed[0]).toEqual({
      id: "config",
      check: `config ${home.home}/.config/kpm/config.yaml`,
      ok: true,
      status: "ok",
      detail: `server ${server.addr}`,
    });
  });

  test("no config: ✗ config with the setup fix, and the checks that need it say so", async () => {
    const home = sandbox();
    const result = await doctor(home.env);
    expect(result.code).toBe(1);
    expect(lines(result).slice(0, 3)).toEqual([
      `✗ config ${home.home}/.config/kpm/config.yaml: not found — fix: kpm quickstart (or kpm init to configure an existing AgentKMS)`,
      "- PEM files: not checked — no config",
      "- server: not checked — no config",
    ]);
    const json = JSON.parse((await doctor(home.env, ["--json"])).stdout) as Array<Record<string, unknown>>;
    expect(json[0]).toMatchObject({
      id: "config",
      ok: false,
      status: "fail",
      detail: "not found",
      fix: "kpm quickstart (or kpm init to configure an existing AgentKMS)",
    });
    expect(json[1]).toMatchObject({ id: "pem", ok: false, status: "skipped" });
  });

  test("a config that does not parse, and one without a key", async () => {
    const broken = sandbox();
    mkdirSync(join(broken.home, ".config/kpm"), { recursive: true });
    const path = join(broken.home, ".config/kpm/config.yaml");
    writeFileSync(path, "server: [unclosed\n");
    const parse = await doctor(broken.env);
    expect(parse.code).toBe(1);
    expect(lineFor(parse, "✗ config")).toStartWith(`✗ config ${path}: does not parse: `);
    expect(lineFor(parse, "✗ config")).toEndWith(` — fix: correct ${path}`);
    expect(lineFor(parse, "- server")).toBe("- server: not checked — the config does not parse");

    const partial = sandbox();
    mkdirSync(join(partial.home, ".config/kpm"), { recursive: true });
    const partialPath = join(partial.home, ".config/kpm/config.yaml");
    const { cert, ca } = server.clientFiles;
    writeFileSync(partialPath, `server: ${server.addr}\ncert: ${cert}\nca: ${ca}\n`);
    const result = await doctor(partial.env);
    expect(result.code).toBe(1);
    expect(lineFor(result, "✗ config")).toBe(
      `✗ config ${partialPath}: key not set — fix: add key: to ${partialPath} (or pass --key)`,
    );
    expect(lineFor(result, "- PEM")).toBe("- PEM files: not checked — no key set");
    // The flag fills the gap: everything passes.
    const withFlag = await doctor(partial.env, ["--key", server.clientFiles.key]);
    expect(withFlag.code).toBe(0);
  });

  test("a missing key file: ✗ client key with the config fix; the server is not tried", async () => {
    const missing = join(server.dir, "clients/forge-gateway/missing.key");
    const home = configured({ key: missing });
    const result = await doctor(home.env);
    expect(result.code).toBe(1);
    const config = `${home.home}/.config/kpm/config.yaml`;
    expect(lineFor(result, "✗ client key")).toBe(
      `✗ client key ${missing}: no such file or directory — fix: set key: in ${config} to the private key of ${server.clientFiles.cert}`,
    );
    expect(lineFor(result, "- server")).toBe(
      `- server ${server.addr}: not checked — the PEM files above are not usable`,
    );
  });

  test("a key of another identity: ✗ client key does not match the cert", async () => {
    const foreignKey = join(otherPki, "clients/forge-gateway/client.key");
    const home = configured({ key: foreignKey });
    const result = await doctor(home.env);
    expect(result.code).toBe(1);
    const config = `${home.home}/.config/kpm/config.yaml`;
    expect(lineFor(result, "✗ client key")).toBe(
      `✗ client key ${foreignKey}: EC P-256 key does not match the client cert ${server.clientFiles.cert}` +
        ` — fix: set key: in ${config} to the private key of ${server.clientFiles.cert}`,
    );
  });

  test("an expired client cert: ✗ with the renew fix; the server refuses it too", async () => {
    const files = reissuedClient(-1);
    const home = configured(files);
    const result = await doctor(home.env);
    expect(result.code).toBe(1);
    expect(lineFor(result, "✗ client cert")).toMatch(
      new RegExp(
        `^✗ client cert ${files.cert}: CN=forge-gateway: expired on \\d{4}-\\d\\d-\\d\\d` +
          " — fix: kpm dev enroll --renew, then kpm quickstart --force \\(copies the new certificates\\)$",
      ),
    );
    // The server refuses it: the TLS line repeats the renew fix rather than guessing.
    expect(lineFor(result, "✗ TLS")).toBe(
      "✗ TLS: TLS handshake failed (client certificate rejected, TLS version < 1.3, or not a TLS port)" +
        " — fix: kpm dev enroll --renew, then kpm quickstart --force (copies the new certificates)",
    );
  });

  test("a client cert expiring within 30 days is a warning: ! line, exit 0", async () => {
    const files = reissuedClient(3);
    const home = configured(files);
    const result = await doctor(home.env);
    expect(result.code).toBe(0);
    expect(lineFor(result, "! client cert")).toMatch(
      new RegExp(
        `^! client cert ${files.cert}: CN=forge-gateway: expires in 2 days \\(.*\\) — fix: kpm dev enroll --renew`,
      ),
    );
    const json = JSON.parse((await doctor(home.env, ["--json"])).stdout) as Array<Record<string, unknown>>;
    expect(json.find((entry) => entry.id === "cert")).toMatchObject({ ok: true, status: "warn" });
  });

  test("a key file others can read is a warning with the chmod fix, exit 0", async () => {
    const files = reissuedClient(365);
    chmodSync(files.key, 0o644);
    const home = configured(files);
    const result = await doctor(home.env);
    expect(result.code).toBe(0);
    expect(lineFor(result, "! client key")).toBe(
      `! client key ${files.key}: readable by other users (mode 0644) — fix: chmod 600 ${files.key}`,
    );
  });

  test("KPM_CONFIG naming a file: ✗ config, and what needs the config dir says so", async () => {
    const home = configured();
    const file = join(home.root, "not-a-dir.yaml");
    writeFileSync(file, "");
    const result = await doctor({ ...home.env, KPM_CONFIG: file });
    expect(result.code).toBe(1);
    expect(lineFor(result, "✗ config")).toBe(
      `✗ config: KPM_CONFIG must name a directory (got file ${file}); use --config for a file` +
        " — fix: unset KPM_CONFIG or point it at a directory",
    );
    expect(lineFor(result, "- server")).toBe("- server: not checked — no usable config dir");
    expect(lineFor(result, "- allow-list")).toBe("- allow-list: not checked — no usable config dir");
  });

  test("a stopped server: ✗ server connection refused with the start fix", async () => {
    const stopped = await startDevServerForTest();
    try {
      await stopped.stop();
      const home = configured(stopped.clientFiles, stopped.addr);
      const result = await doctor(home.env);
      expect(result.code).toBe(1);
      expect(lineFor(result, "✗ server")).toBe(
        `✗ server ${stopped.addr}: connection refused — fix: kpm dev serve --detach --addr 127.0.0.1:${stopped.port}` +
          ` --dir ${stopped.dir} (or kpm quickstart)`,
      );
      expect(lineFor(result, "- TLS")).toBe("- TLS, auth, clock: not checked — the server is not reachable");
    } finally {
      await stopped.remove();
    }
  });

  test("a CA that did not issue the server's certificate: ✗ TLS with the ca fix", async () => {
    const wrongCa = join(otherPki, "ca.crt");
    const home = configured({ ca: wrongCa });
    const result = await doctor(home.env);
    expect(result.code).toBe(1);
    const config = `${home.home}/.config/kpm/config.yaml`;
    expect(lineFor(result, "! client cert")).toContain(`not issued by the CA in ${wrongCa}`);
    expect(lineFor(result, "✗ TLS")).toBe(
      `✗ TLS: server certificate is not signed by the configured CA (${wrongCa})` +
        ` — fix: set ca: in ${config} to the CA that issued the server's certificate (dev server: ${server.dir}/ca.crt)`,
    );
    expect(lineFor(result, "- auth")).toBe("- auth, clock: not checked — no TLS connection");
  });

  test("a malformed allow-list: ✗ with its line; a valid one lists its tools", async () => {
    const home = configured();
    const path = join(home.home, ".config/kpm/secure-allowlist.yaml");
    writeFileSync(path, "claude:\n  - ANTHROPIC_API_KEY\n  - 12bad name\n");
    const broken = await doctor(home.env);
    expect(broken.code).toBe(1);
    expect(lineFor(broken, "✗ allow-list")).toMatch(
      new RegExp(
        `^✗ allow-list ${path}: line 3: tool "claude": .+ — fix: correct ${path}; kpm run --secure refuses`,
      ),
    );

    writeFileSync(path, "claude:\n  - ANTHROPIC_API_KEY\ncodex: [OPENAI_API_KEY, DB_*]\nci:\n");
    const valid = await doctor(home.env);
    expect(valid.code).toBe(0);
    expect(lineFor(valid, "✓ allow-list")).toBe(
      `✓ allow-list ${path}: 3 tools: claude (1 entry), codex (2 entries), ci (0 entries)`,
    );
  });

  test("untrusted project files are a warning with the trust command; trusted ones are ✓", async () => {
    const home = configured();
    const project = join(home.root, "repo");
    mkdirSync(join(project, ".kpm/templates"), { recursive: true });
    const template = join(project, ".kpm/templates/claude.template");
    writeFileSync(template, "ANTHROPIC_API_KEY=${kms:llm/anthropic}\n");
    const untrusted = await doctor(home.env, [], project);
    expect(untrusted.code).toBe(0);
    expect(lineFor(untrusted, "! project trust")).toBe(
      `! project trust ${project}: 1 of 1 project file not trusted, so kpm ignores them: ${template} — fix: review them, then run: kpm trust ${project}`,
    );
    expect((await runKpmProcess(["trust", project], { env: home.env, binary: true })).code).toBe(0);
    const trusted = await doctor(home.env, [], project);
    expect(lineFor(trusted, "✓ project trust")).toBe(`✓ project trust ${project}: 1 project file trusted`);
  });

  test("this shell's listener: ✓ while it answers, ✗ with the reload fix once it is gone", async () => {
    const home = configured();
    const template = join(home.root, "doctor.template");
    writeFileSync(template, "ANTHROPIC_API_KEY=${kms:llm/anthropic}\n");
    const loaded = await runKpmProcess(["env", "--from", template, "--output", "shell"], {
      env: home.env,
      binary: true,
    });
    expect(loaded.code).toBe(0);
    const shell = { ...home.env, ...parseShellExports(loaded.stdout) };
    const sessionId = shell.KPM_SESSION ?? "";
    expect(sessionId).not.toBe("");

    const live = await doctor(shell);
    expect(live.code).toBe(0);
    expect(lineFor(live, "✓ listener")).toMatch(
      new RegExp(
        `^✓ listener ${sessionId}: answering at ${shell.KPM_DECRYPT_SOCK}, key expires in \\d+m\\d\\ds, 1 variable$`,
      ),
    );

    const unload = await runKpmProcess(["env", "--unload"], { env: shell, binary: true });
    expect(unload.code).toBe(0);
    const gone = await doctor(shell);
    expect(gone.code).toBe(1);
    expect(lineFor(gone, "✗ listener")).toMatch(
      new RegExp(`^✗ listener ${sessionId}: not running .* — fix: kpm env --unload, then eval`),
    );
  });

  test("a decrypt socket that is not a socket is refused, not trusted", async () => {
    const home = configured();
    mkdirSync(home.runtimeDir, { mode: 0o700 });
    const fake = join(home.runtimeDir, "fake.sock");
    writeFileSync(fake, "");
    const result = await doctor({ ...home.env, KPM_SESSION: "fakesession", KPM_DECRYPT_SOCK: fake });
    expect(result.code).toBe(1);
    expect(lineFor(result, "✗ listener")).toBe(
      `✗ listener fakesession: refusing to use decrypt socket ${fake}: it is not a socket` +
        ' — fix: kpm env --unload, then eval "$(kpm env --output shell)" to load a new session',
    );
  });
});
