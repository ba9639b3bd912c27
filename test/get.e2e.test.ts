// End to end: `kpm get <ref>` (spec §8.5, §6.3–§6.4) from source against a real `kpm dev serve`
// child: every reference type, field selection, defaults only on not-found (never on a policy
// denial), unparsable arguments with the tip line, and nothing on stdout when it fails.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdirSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { createClient } from "@kpm/agentkms-client";
import {
  createSandbox,
  KPM_BINARY,
  type KpmResult,
  runKpmProcess,
  type Sandbox,
  seedCredential,
  startDevServerForTest,
  type TestDevServer,
  writeKpmConfig,
} from "./helpers/kpm-env.ts";

const TIP = "tip: use kv/<path>#<key> for KV refs or llm/<provider> for LLM credentials";

/** Reads under denied/ are refused by policy: a Default must not paper over a 403 (§6.4). */
const POLICY = [
  'version: "1"',
  "rules:",
  "  - id: deny-registry",
  "    match: { operations: [credential_vend], key_prefix: secrets/denied/ }",
  "    effect: deny",
  "  - id: deny-generic",
  "    match: { operations: [credential_vend], key_prefix: generic/denied/ }",
  "    effect: deny",
  "  - id: deny-llm",
  "    match: { operations: [credential_vend], key_prefix: llm/google }",
  "    effect: deny",
  "  - id: allow-rest",
  "    match: {}",
  "    effect: allow",
  "",
].join("\n");

let sandbox: Sandbox;
let server: TestDevServer;

function kpm(args: string[], input?: string): Promise<KpmResult> {
  return runKpmProcess(args, { env: sandbox.env, input });
}

function failure(stderr: string): KpmResult {
  return { code: 1, stdout: "", stderr };
}

beforeAll(async () => {
  sandbox = createSandbox();
  server = await startDevServerForTest({ policy: POLICY });
  writeKpmConfig(sandbox.home, server);
  await seedCredential(server.dir, "generic/db/prod", {
    user: "app",
    password: "pg-secret",
    host: "db.invalid",
  });
  await seedCredential(server.dir, "generic/single", { value: "only-value" });
  await seedCredential(server.dir, "generic/denied/db", { password: "never" });
  await seedCredential(server.dir, "llm/anthropic", { api_key: "sk-ant-dev-key" });
  await seedCredential(server.dir, "llm/google", { api_key: "never" });
  // Registry secrets through the API: multi-field ones cannot be written with `kpm add`.
  const client = createClient({ server: server.addr, ...server.clientFiles });
  try {
    await client.writeSecret("svc/plain", { value: "plain-value" });
    await client.writeSecret("svc/multi", { user: "admin", pass: "multi-pass", zone: "eu" });
    await client.writeSecret("svc/mixed", { value: "mixed-value", user: "mixed-user" });
    await client.writeSecret("denied/thing", { value: "never" });
    await client.writeSecret("Caps/Thing", { value: "caps-value" });
  } finally {
    client.close();
  }
});

afterAll(async () => {
  await server.stop();
  rmSync(server.dir, { recursive: true, force: true });
  sandbox.cleanup();
});

describe("registry references", () => {
  test("svc/name prints the value field with no trailing newline", async () => {
    expect(await kpm(["get", "svc/plain"])).toEqual({ code: 0, stdout: "plain-value", stderr: "" });
  });

  test("svc/name#field selects one field of a multi-field secret", async () => {
    expect(await kpm(["get", "svc/multi#pass"])).toEqual({ code: 0, stdout: "multi-pass", stderr: "" });
    expect((await kpm(["get", "svc/mixed#user"])).stdout).toBe("mixed-user");
  });

  test("a secret with a value field prints only that value", async () => {
    expect((await kpm(["get", "svc/mixed"])).stdout).toBe("mixed-value");
  });

  test("a multi-field secret without #field prints sorted k=v lines, no final newline", async () => {
    expect((await kpm(["get", "svc/multi"])).stdout).toBe("pass=multi-pass\nuser=admin\nzone=eu");
  });

  test("a missing field names the field and the path", async () => {
    expect(await kpm(["get", "svc/multi#nope"])).toEqual(failure('field "nope" not found at "svc/multi"\n'));
  });

  test("an unknown secret gives the exact v0.2.1 text", async () => {
    expect(await kpm(["get", "nonexistent/secret"])).toEqual(
      failure(
        'unknown ref type "nonexistent" and registry fetch failed: secret not found: nonexistent/secret\n',
      ),
    );
  });

  test(`a reference in full \${kms:…} form is accepted as is`, async () => {
    expect((await kpm(["get", `\${kms:svc/multi#user}`])).stdout).toBe("admin");
  });
});

describe("kv and llm references", () => {
  test("kv/path#key prints that key", async () => {
    expect(await kpm(["get", "kv/db/prod#password"])).toEqual({ code: 0, stdout: "pg-secret", stderr: "" });
  });

  test("kv/path prints every field as sorted k=v lines", async () => {
    expect((await kpm(["get", "kv/db/prod"])).stdout).toBe("host=db.invalid\npassword=pg-secret\nuser=app");
    expect((await kpm(["get", "kv/single"])).stdout).toBe("value=only-value");
  });

  test("a missing kv key names the key and the path", async () => {
    expect(await kpm(["get", "kv/db/prod#nokey"])).toEqual(
      failure('key "nokey" not found at path "db/prod"\n'),
    );
  });

  test("llm/provider prints the api_key", async () => {
    expect(await kpm(["get", "llm/anthropic"])).toEqual({ code: 0, stdout: "sk-ant-dev-key", stderr: "" });
  });

  test("a {{profile:…}} default is expanded before parsing", async () => {
    expect((await kpm(["get", "kv/db/{{profile:stage:-prod}}#user"])).stdout).toBe("app");
  });
});

describe("defaults apply only when the value is not found", () => {
  test.each([
    ["registry path not found", "svc/none:-fallback"],
    ["registry field not found", "svc/multi#nope:-fallback"],
    ["kv path not found", "kv/nope/none#k:-fallback"],
    ["kv key not found", "kv/db/prod#nokey:-fallback"],
    ["kv path without key not found", "kv/nope/none:-fallback"],
    ["llm provider without a key", "llm/openai:-fallback"],
  ])("%s → the default", async (_name, ref) => {
    expect(await kpm(["get", ref])).toEqual({ code: 0, stdout: "fallback", stderr: "" });
  });

  test("an empty default is a value: empty stdout, exit 0", async () => {
    expect(await kpm(["get", "kv/db/prod#nokey:-"])).toEqual({ code: 0, stdout: "", stderr: "" });
  });

  test("a found value wins over the default", async () => {
    expect((await kpm(["get", "svc/plain:-fallback"])).stdout).toBe("plain-value");
  });

  test("a policy denial is an error, never the default", async () => {
    expect(await kpm(["get", "denied/thing:-fallback"])).toEqual(
      failure(
        'unknown ref type "denied" and registry fetch failed: fetch denied/thing: denied (policy_denied)\n',
      ),
    );
    expect(await kpm(["get", "kv/denied/db#password:-fallback"])).toEqual(
      failure("error: fetch generic/denied/db: denied (policy_denied)\n"),
    );
    expect(await kpm(["get", "llm/google:-fallback"])).toEqual(
      failure("error: fetch LLM google: operation denied by policy (policy_denied)\n"),
    );
  });

  test("a 400 (unsupported LLM provider) is an error, never the default", async () => {
    expect(await kpm(["get", "llm/nobody:-fallback"])).toEqual(
      failure(
        "error: fetch LLM nobody: unsupported provider — see /credentials/llm for supported list (invalid_request)\n",
      ),
    );
  });
});

describe("arguments that are not references", () => {
  test("no argument → the usage error", async () => {
    expect(await kpm(["get"])).toEqual({
      code: 2,
      stdout: "",
      stderr: "kpm get: no reference specified\nRun 'kpm get --help' for usage.\n",
    });
  });

  test("include/… cannot be fetched", async () => {
    expect(await kpm(["get", "include/base"])).toEqual(
      failure("error: include references cannot be fetched\n"),
    );
  });

  test("an unparsable ref with a / is fetched as a registry path", async () => {
    expect(await kpm(["get", "Caps/Thing"])).toEqual({ code: 0, stdout: "caps-value", stderr: "" });
  });

  test("an unparsable ref with a / that fails prints the error and the tip", async () => {
    expect(await kpm(["get", "Caps/Missing"])).toEqual(
      failure(`error: secret not found: Caps/Missing\n${TIP}\n`),
    );
    const invalid = await kpm(["get", "Caps//x"]);
    expect(invalid.code).toBe(1);
    expect(invalid.stdout).toBe("");
    expect(invalid.stderr).toMatch(new RegExp(`^error: invalid path "Caps//x": .+\n${TIP}\n$`));
  });

  test("an unparsable ref without a / is an invalid reference, with the tip", async () => {
    expect(await kpm(["get", "noslash"])).toEqual(failure(`error: invalid reference "noslash"\n${TIP}\n`));
    expect(await kpm(["get", `\${kms:kv}`])).toEqual(
      failure(`error: invalid reference "\${kms:kv}"\n${TIP}\n`),
    );
  });
});

describe("get in a project directory", () => {
  test("profile values from .kpm/config.yaml pick the path", async () => {
    const project = join(sandbox.root, "project");
    mkdirSync(join(project, ".kpm"), { recursive: true });
    writeFileSync(join(project, ".kpm", "config.yaml"), "profile:\n  stage: prod\n");
    // A project's profile is used once trusted (docs/trust.md).
    expect((await runKpmProcess(["trust"], { env: sandbox.env, cwd: project })).code).toBe(0);
    const result = await runKpmProcess(["get", "kv/db/{{profile:stage}}#user"], {
      env: sandbox.env,
      cwd: project,
    });
    expect(result).toEqual({ code: 0, stdout: "app", stderr: "" });
  });
});

describe("compiled dist/kpm smoke", () => {
  test("kv, llm, registry field and a default resolve in the compiled binary", async () => {
    const compiled = (ref: string) => runKpmProcess(["get", ref], { env: sandbox.env, binary: true });
    expect(await compiled("kv/db/prod#password")).toEqual({ code: 0, stdout: "pg-secret", stderr: "" });
    expect((await compiled("llm/anthropic")).stdout).toBe("sk-ant-dev-key");
    expect((await compiled("svc/multi#user")).stdout).toBe("admin");
    expect((await compiled("svc/none:-fallback")).stdout).toBe("fallback");
    expect(await compiled("noslash")).toEqual(failure(`error: invalid reference "noslash"\n${TIP}\n`));
  });

  test("an empty value appended to a file leaves the file's bytes as they were", async () => {
    // Bun.write(Bun.stdout, "") truncates (or NUL-fills) a file stdout appends to: kpm never writes
    // zero bytes. The shell opens the file with O_APPEND, as a user's `>>` does.
    const file = join(sandbox.root, "appended.env");
    const before = "FIRST=1\nSECOND=2\n";
    writeFileSync(file, before);
    const emptyTemplate = join(sandbox.root, "empty.template");
    writeFileSync(emptyTemplate, "# nothing here\n");
    for (const args of [
      ["get", "kv/db/prod#nokey:-"],
      ["env", "--from", emptyTemplate, "--output", "dotenv"],
    ]) {
      await compiledAppend(file, args);
      expect(Buffer.from(await Bun.file(file).arrayBuffer())).toEqual(Buffer.from(before));
    }
    await compiledAppend(file, ["get", "svc/plain"]);
    expect(await Bun.file(file).text()).toBe(`${before}plain-value`);
  });
});

/** Runs the compiled kpm with stdout appended (O_APPEND, as `>>`) to file; it must succeed. */
async function compiledAppend(file: string, args: string[]): Promise<void> {
  const shell = Bun.spawn(["sh", "-c", 'exec "$@" >> "$KPM_TEST_FILE"', "sh", KPM_BINARY, ...args], {
    env: { ...sandbox.env, KPM_TEST_FILE: file },
    stdout: "pipe",
    stderr: "pipe",
  });
  expect(await shell.exited).toBe(0);
}
