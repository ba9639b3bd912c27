// End to end: the registry commands (spec §11: add, list, describe, history, remove) and their flag
// parsing (§3.2), run from source against a real `kpm dev serve` child on an ephemeral port, with
// a smoke subset repeated with the compiled dist/kpm.
// biome-ignore-all lint/suspicious/noTemplateCurlyInString: references are spelled ${kms:…} literally
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import {
  createSandbox,
  KPM_BINARY,
  KPM_ENTRY,
  type KpmResult,
  readAuditEvents,
  runKpmProcess,
  type Sandbox,
  seedCredential,
  startDevServerForTest,
  type TestDevServer,
  writeKpmConfig,
} from "./helpers/kpm-env.ts";

const DAY_MS = 86_400_000;
/** A planted value: it must reach the server, and never any output except `get`'s stdout. */
const MARKER = "mk-7f3a9c1e-never-print-me";
const OPENSSH_KEY = [
  "-----BEGIN OPENSSH PRIVATE KEY-----",
  "b3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQAAAAAAAAABAAAAMwAAAAtzc2gtZW",
  "QyNTUxOQAAACDummyDummyDummyDummyDummyDummyDummyDummyDummyAAAA",
  "-----END OPENSSH PRIVATE KEY-----",
  "",
].join("\n");

let sandbox: Sandbox;
let server: TestDevServer;

function kpm(args: string[], input?: string): Promise<KpmResult> {
  return runKpmProcess(args, { env: sandbox.env, input });
}

function expectNoMarker(result: KpmResult): void {
  expect(result.stdout).not.toContain(MARKER);
  expect(result.stderr).not.toContain(MARKER);
}

/** RFC 3339 without fractional seconds, `days` from now (half a day of slack keeps the count stable). */
function inDays(days: number): string {
  return new Date(Date.now() + days * DAY_MS).toISOString().replace(/\.\d+Z$/, "Z");
}

beforeAll(async () => {
  sandbox = createSandbox();
  server = await startDevServerForTest();
  writeKpmConfig(sandbox.home, server);
});

afterAll(async () => {
  await server.stop();
  rmSync(server.dir, { recursive: true, force: true });
  sandbox.cleanup();
});

describe("an empty registry", () => {
  test("list says there is nothing yet and exits 0", async () => {
    const result = await kpm(["list"]);
    expect(result).toEqual({
      code: 0,
      stdout: "No secrets found. Add one with: kpm add service/name\n",
      stderr: "",
    });
  });

  test("list --json prints [] instead of the text", async () => {
    const result = await kpm(["list", "--json"]);
    expect(result).toEqual({ code: 0, stdout: "[]\n", stderr: "" });
  });
});

describe("kpm add (the v0.2.1 integration scenario)", () => {
  test("a piped value with tags, type and description is stored as v1 and reported exactly", async () => {
    const result = await kpm(
      ["add", "cloudflare/dns-token", "--tags", "dns,ci", "--type", "api-token", "--description", "DNS edit"],
      MARKER,
    );
    expect(result).toEqual({
      code: 0,
      stdout: "",
      stderr: "Stored cloudflare/dns-token v1 (tagged: dns, ci) [api-token]\n",
    });
    expect((await kpm(["get", "cloudflare/dns-token"])).stdout).toBe(MARKER);
  });

  test("an sk-ant- value is detected as an api-token", async () => {
    const result = await kpm(["add", "anthropic/api-key"], "sk-ant-api03-abcdefghijklmnop\n");
    expect(result.stderr).toBe("Stored anthropic/api-key v1 [api-token]\n");
    expect(result.code).toBe(0);
    // All trailing newlines of piped input are removed (§11.1 step 4).
    expect((await kpm(["get", "anthropic/api-key"])).stdout).toBe("sk-ant-api03-abcdefghijklmnop");
  });

  test("an OpenSSH key from --from-file is an ssh-key and keeps its bytes verbatim", async () => {
    const file = join(sandbox.root, "id_ed25519");
    writeFileSync(file, OPENSSH_KEY);
    const result = await kpm(["add", "deploy/ssh", "--from-file", file]);
    expect(result.stderr).toBe("Stored deploy/ssh v1 [ssh-key]\n");
    expect((await kpm(["get", "deploy/ssh"])).stdout).toBe(OPENSSH_KEY);
  });

  test("a postgres:// URL is a connection-string", async () => {
    const result = await kpm(["add", "db/url"], "postgres://app:pw@db.invalid:5432/app");
    expect(result.stderr).toBe("Stored db/url v1 [connection-string]\n");
  });

  test("--service and --name build the path; a plain value is generic", async () => {
    const result = await kpm(["add", "--service", "misc", "--name", "note"], "just words");
    expect(result).toEqual({ code: 0, stdout: "", stderr: "Stored misc/note v1 [generic]\n" });
    const meta = JSON.parse((await kpm(["describe", "misc/note", "--json"])).stdout) as { type?: string };
    // Nothing to record: no metadata write for an undecorated generic secret (§11.1 step 7).
    expect(meta.type ?? "generic").toBe("generic");
  });

  test("llm/… and kv/… name the credential store: add stores nothing and says where they belong", async () => {
    const before = (await kpm(["list", "--json"])).stdout;
    const llm = await runKpmProcess(["add", "llm/openai"], { env: sandbox.env, input: MARKER, binary: true });
    expect(llm).toEqual({
      code: 1,
      stdout: "",
      stderr:
        "error: llm/openai names the credential store, which kpm add does not write (it writes the registry: service/name)\n" +
        '  with the dev server: printf %s "$VALUE" | kpm dev secrets set llm/openai api_key   (see docs/secrets.md)\n',
    });
    const kv = await kpm(["add", "kv/db/prod#password"], MARKER);
    expect(kv.code).toBe(1);
    expect(kv.stderr).toContain("kpm dev secrets set generic/db/prod password");
    expectNoMarker(kv);
    expect((await kpm(["list", "--json"])).stdout).toBe(before);
  });

  test("an existing secret with non-interactive input and no --force is refused and kept", async () => {
    const result = await kpm(["add", "cloudflare/dns-token"], "replacement");
    expect(result).toEqual({
      code: 1,
      stdout: "",
      stderr:
        "error: cloudflare/dns-token exists (v1); use --force to overwrite when input is non-interactive\n",
    });
    expect((await kpm(["get", "cloudflare/dns-token"])).stdout).toBe(MARKER);
  });

  test("--force before the positional overwrites and reports v2", async () => {
    const result = await kpm(
      ["add", "--force", "cloudflare/dns-token", "--type", "api-token"],
      `${MARKER}-v2`,
    );
    expect(result).toEqual({ code: 0, stdout: "", stderr: "Stored cloudflare/dns-token v2 [api-token]\n" });
    expect((await kpm(["get", "cloudflare/dns-token"])).stdout).toBe(`${MARKER}-v2`);
  });

  test("a deny-listed metadata write still stores the value: warning, exit 0", async () => {
    const policy = [
      'version: "1"',
      "rules:",
      "  - id: no-metadata",
      "    match: { operations: [metadata_write] }",
      "    effect: deny",
      "  - id: allow-rest",
      "    match: {}",
      "    effect: allow",
      "",
    ].join("\n");
    const denying = await startDevServerForTest({ policy });
    const other = createSandbox();
    try {
      writeKpmConfig(other.home, denying);
      const result = await runKpmProcess(["add", "svc/tagged", "--tags", "a"], {
        env: other.env,
        input: MARKER,
      });
      expect(result.code).toBe(0);
      expect(result.stderr).toBe(
        "warning: metadata not saved: request: operation denied by policy (policy_denied)\n" +
          "Stored svc/tagged v1 (tagged: a) [generic]\n",
      );
      expectNoMarker(result);
      const operations = readAuditEvents(denying).map((event) => `${event.operation}:${event.outcome}`);
      expect(operations).toContain("secret_write:success");
      expect(operations).toContain("metadata_write:denied");
    } finally {
      await denying.stop();
      rmSync(denying.dir, { recursive: true, force: true });
      other.cleanup();
    }
  });
});

describe("kpm list", () => {
  const soon = inDays(10.5);

  beforeAll(async () => {
    const adds: Array<[string[], string]> = [
      [["add", "tbl/alpha"], "plain words"],
      [
        [
          "add",
          "tbl/a-name-that-is-longer-than-28-chars",
          "--tags",
          " ci , ,dns",
          "--description",
          "This description is longer than thirty characters",
        ],
        "v",
      ],
      [["add", "tbl/gamma", "--expires", soon, "--type", "jwt"], "g"],
      [["add", "tbl/delta", "--expires", "2020-01-01"], "d"],
      [["add", "tbl/eps", "--expires", "2099-12-31", "--tags", "ci"], "e"],
      [["add", "tbl/zeta", "--description", "clé 🔑 ünï"], "z"],
      [["add", "tbl/omega"], "o"],
    ];
    for (const [args, input] of adds) {
      const result = await kpm(args, input);
      if (result.code !== 0) throw new Error(`setup ${args.join(" ")}: ${result.stderr}`);
    }
    const removed = await kpm(["remove", "tbl/omega", "--yes"]);
    if (removed.code !== 0) throw new Error(`setup remove: ${removed.stderr}`);
  });

  const LIST_HEADER = row("", "TYPE", "TAGS", "DESCRIPTION", "VERSION").replace(
    /^ {30}/,
    "SERVICE/NAME".padEnd(30),
  );
  function row(name: string, type: string, tags: string, description: string, tail: string): string {
    return `  ${name.padEnd(28)} ${type.padEnd(14)} ${tags.padEnd(18)} ${description.padEnd(30)} ${tail}`.trimEnd();
  }

  test("the service table has exact columns, truncation, expiry markers and a footer", async () => {
    const result = await kpm(["list", "tbl"]);
    expect(result.code).toBe(0);
    expect(result.stderr).toBe("");
    const days = Math.floor((Date.parse(soon) - Date.now()) / DAY_MS);
    expect(days).toBe(10);
    expect(result.stdout).toBe(
      [
        LIST_HEADER,
        "tbl/",
        row(
          "a-name-that-is-longer-than-28-chars",
          "generic",
          "[ci, dns]",
          '"This description is longer ..."',
          "v1",
        ),
        row("alpha", "generic", "", "", "v1"),
        row("delta", "generic", "", "", "v1 EXPIRED"),
        row("eps", "generic", "[ci]", "", "v1"),
        row("gamma", "jwt", "", "", "v1 EXPIRES 10d"),
        // Padding counts characters (🔑 is one), not bytes or UTF-16 units: 11 characters + 19 spaces.
        `  zeta${" ".repeat(24)} generic${" ".repeat(7)} ${" ".repeat(18)} "clé 🔑 ünï"${" ".repeat(19)} v1`,
        "",
        "6 secrets across 1 service",
        "",
      ].join("\n"),
    );
  });

  test("every service is listed in order, each followed by an empty line", async () => {
    const { stdout } = await kpm(["list"]);
    const headers = stdout.split("\n").filter((line) => line.endsWith("/"));
    expect(headers).toEqual([...headers].sort());
    expect(headers).toEqual(expect.arrayContaining(["anthropic/", "cloudflare/", "db/", "deploy/", "tbl/"]));
    expect(stdout).toContain(row("dns-token", "api-token", "[dns, ci]", '"DNS edit"', "v2"));
    expect(stdout).toStartWith(`${LIST_HEADER}\n`);
    expect(stdout).toMatch(/\n\n\d+ secrets across \d+ services\n$/);
    for (const line of stdout.split("\n")) expect(line).toBe(line.trimEnd());
  });

  test("a removed secret is hidden unless --include-deleted, which marks it DELETED", async () => {
    expect((await kpm(["list", "tbl"])).stdout).not.toContain("omega");
    const { stdout } = await kpm(["list", "tbl", "--include-deleted"]);
    expect(stdout).toContain(`${row("omega", "generic", "", "", "v1 DELETED")}\n`);
    expect(stdout).toContain("7 secrets across 1 service\n");
  });

  test("--tag and --type filter client-side; both must hold", async () => {
    const tagged = await kpm(["list", "--tag", "ci"]);
    expect(tagged.stdout).toContain("a-name-that-is-longer-than-28-chars");
    expect(tagged.stdout).toContain("  eps ");
    expect(tagged.stdout).toContain("cloudflare/\n");
    expect(tagged.stdout).toContain("3 secrets across 2 services\n");
    const typed = await kpm(["list", "--type", "jwt"]);
    expect(typed.stdout).toBe(
      `${LIST_HEADER}\ntbl/\n${row("gamma", "jwt", "", "", "v1 EXPIRES 10d")}\n\n1 secret across 1 service\n`,
    );
    const both = await kpm(["list", "--tag", "dns", "--type-filter", "api-token"]);
    expect(both.stdout).toContain("cloudflare/\n");
    expect(both.stdout).toContain("1 secret across 1 service\n");
  });

  test("a filter that matches nothing prints its own text (json: [])", async () => {
    expect(await kpm(["list", "nosuchservice"])).toEqual({
      code: 0,
      stdout: "No secrets match the filter.\n",
      stderr: "",
    });
    expect((await kpm(["list", "--tag", "nope", "--json"])).stdout).toBe("[]\n");
  });

  test("list svc --json (flag after the positional) prints exact fields, empty ones omitted", async () => {
    const result = await kpm(["list", "cloudflare", "--json"]);
    expect(result.code).toBe(0);
    const parsed = JSON.parse(result.stdout) as Array<Record<string, unknown>>;
    expect(parsed).toHaveLength(1);
    const [entry] = parsed;
    expect(Object.keys(entry ?? {})).toEqual([
      "path",
      "service",
      "name",
      "description",
      "tags",
      "type",
      "created",
      "updated",
      "version",
      "deleted",
    ]);
    expect(entry).toMatchObject({
      path: "cloudflare/dns-token",
      service: "cloudflare",
      name: "dns-token",
      description: "DNS edit",
      tags: ["dns", "ci"],
      type: "api-token",
      version: 2,
      deleted: false,
    });
    expect(String(entry?.created)).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    // 2-space indentation.
    expect(result.stdout.startsWith('[\n  {\n    "path": "cloudflare/dns-token",\n')).toBe(true);
  });

  test("single-dash long flags work: -json ≡ --json", async () => {
    const single = await kpm(["list", "cloudflare", "-json"]);
    const double = await kpm(["list", "cloudflare", "--json"]);
    expect(single.code).toBe(0);
    expect(single.stdout).toBe(double.stdout);
  });

  test("expires is kept in JSON, with date-only input sent as midnight UTC", async () => {
    const parsed = JSON.parse((await kpm(["list", "tbl", "--json"])).stdout) as Array<
      Record<string, unknown>
    >;
    const eps = parsed.find((entry) => entry.name === "eps");
    expect(eps?.expires).toBe("2099-12-31T00:00:00Z");
  });
});

describe("kpm list --all", () => {
  test("every reference a template can use; credential paths come from the local dev store only", async () => {
    await seedCredential(server.dir, "llm/anthropic", { api_key: MARKER });
    await seedCredential(server.dir, "generic/db/prod", { password: MARKER, user: MARKER });
    const local = await runKpmProcess(["list", "--all"], {
      env: { ...sandbox.env, AGENTKMS_DIR: server.dir },
      binary: true,
    });
    expect(local.code).toBe(0);
    expect(local.stderr).toBe("");
    const lines = local.stdout.trimEnd().split("\n");
    for (const reference of ["${kms:llm/anthropic}", "${kms:kv/db/prod#password}", "${kms:kv/db/prod#user}"])
      expect(lines).toContain(reference);
    expect(lines).toContain("${kms:cloudflare/dns-token}");
    expect(lines).toEqual([...lines].sort());
    expectNoMarker(local);

    // A server that is not this user's running dev server: registry references and one note.
    const remote = await runKpmProcess(["list", "--all"], {
      env: { ...sandbox.env, AGENTKMS_DIR: join(sandbox.root, "no-dev-dir") },
      binary: true,
    });
    expect(remote.code).toBe(0);
    expect(remote.stdout).toContain("${kms:cloudflare/dns-token}\n");
    expect(remote.stdout).not.toContain("${kms:llm/");
    expect(remote.stderr).toBe(
      "kpm: llm/… and kv/… references are not listed: AgentKMS has no route that lists them (only a local kpm dev server's store can be read)\n",
    );
    expectNoMarker(remote);
  });
});

describe("kpm describe and history", () => {
  test("describe prints the metadata block, optional lines only when set", async () => {
    const result = await kpm(["describe", "cloudflare/dns-token"]);
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(
      new RegExp(
        [
          "^cloudflare/dns-token",
          "  Type:        api-token",
          "  Tags:        dns, ci",
          "  Description: DNS edit",
          "  Created:     \\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\dZ",
          "  Updated:     \\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\dZ",
          "  Version:     2\n$",
        ].join("\n"),
      ),
    );
    const bare = await kpm(["describe", "misc/note"]);
    expect(bare.stdout).not.toContain("Tags:");
    expect(bare.stdout).not.toContain("Description:");
    expect(bare.stdout).not.toContain("Status:");
    const expiring = await kpm(["describe", "tbl/eps"]);
    expect(expiring.stdout).toContain("  Expires:     2099-12-31T00:00:00Z\n  Version:     1\n");
  });

  test("describe of a removed secret says Status: DELETED", async () => {
    const result = await kpm(["describe", "tbl/omega"]);
    expect(result.stdout.endsWith("  Version:     1\n  Status:      DELETED\n")).toBe(true);
  });

  test("describe --json prints the same object as list --json", async () => {
    const described = JSON.parse((await kpm(["describe", "cloudflare/dns-token", "--json"])).stdout);
    const listed = JSON.parse((await kpm(["list", "cloudflare", "--json"])).stdout) as unknown[];
    expect(described).toEqual(listed[0]);
  });

  test("describe of an unknown secret fails with the not-found text", async () => {
    expect(await kpm(["describe", "nope/missing"])).toEqual({
      code: 1,
      stdout: "",
      stderr: "error: nope/missing not found\n",
    });
  });

  test("describe, history and remove without a path name the command", async () => {
    for (const command of ["describe", "history", "remove"]) {
      expect(await kpm([command])).toEqual({
        code: 2,
        stdout: "",
        stderr: `kpm ${command}: path required\nRun 'kpm ${command} --help' for usage.\n`,
      });
    }
  });

  test("history after a re-add lists v2 (current) above v1", async () => {
    const result = await kpm(["history", "cloudflare/dns-token"]);
    expect(result.code).toBe(0);
    const stamp = "\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\dZ";
    expect(result.stdout).toMatch(
      new RegExp(
        `^cloudflare/dns-token — 2 versions\n\n  v2   ${stamp} {15}\\(current\\)\n  v1   ${stamp}\n$`,
      ),
    );
  });

  test("history --json lists versions newest first with current flags", async () => {
    const result = await kpm(["history", "cloudflare/dns-token", "--json"]);
    const parsed = JSON.parse(result.stdout) as {
      path: string;
      versions: Array<{ version: number; created: string; current: boolean }>;
    };
    expect(parsed.path).toBe("cloudflare/dns-token");
    expect(parsed.versions.map(({ version, current }) => ({ version, current }))).toEqual([
      { version: 2, current: true },
      { version: 1, current: false },
    ]);
    expect(Object.keys(parsed.versions[0] ?? {})).toEqual(["version", "created", "current"]);
  });

  test("history of an unknown secret maps the server error", async () => {
    expect(await kpm(["history", "nope/missing"])).toEqual({
      code: 1,
      stdout: "",
      stderr: "error: request: secret not found (key_not_found)\n",
    });
  });
});

describe("kpm remove", () => {
  beforeAll(async () => {
    for (const name of ["rm/asked", "rm/refused", "rm/eof", "rm/yes", "rm/purged"]) {
      const result = await kpm(["add", name], "x");
      if (result.code !== 0) throw new Error(`setup ${name}: ${result.stderr}`);
    }
  });

  test("`echo y | kpm remove` prompts on stderr and removes", async () => {
    const result = await kpm(["remove", "rm/asked"], "y\n");
    expect(result).toEqual({
      code: 0,
      stdout: "",
      stderr: "Remove rm/asked (v1)? [y/N] Removed rm/asked\n",
    });
    expect((await kpm(["list", "rm"])).stdout).not.toContain("asked");
  });

  test("answering n cancels with exit 1 and keeps the secret", async () => {
    const result = await kpm(["remove", "rm/refused"], "n\n");
    expect(result).toEqual({
      code: 1,
      stdout: "",
      stderr: "Remove rm/refused (v1)? [y/N] error: cancelled\n",
    });
    expect((await kpm(["describe", "rm/refused"])).stdout).not.toContain("DELETED");
  });

  test("EOF at the prompt cancels", async () => {
    const result = await kpm(["remove", "rm/eof"], "");
    expect(result.code).toBe(1);
    expect(result.stderr.endsWith("error: cancelled\n")).toBe(true);
  });

  test("--yes and -y skip the prompt", async () => {
    expect(await kpm(["remove", "-y", "rm/yes"])).toEqual({
      code: 0,
      stdout: "",
      stderr: "Removed rm/yes\n",
    });
    expect((await kpm(["list", "rm", "--include-deleted"])).stdout).toMatch(/ {2}yes .* v1 DELETED\n/);
  });

  test("--purge after the positional purges: gone even with --include-deleted", async () => {
    const prompt = await kpm(["remove", "rm/purged", "--purge"], "n\n");
    expect(prompt.stderr).toBe(
      "PERMANENTLY delete rm/purged (v1) and all versions? This cannot be undone. [y/N] error: cancelled\n",
    );
    const result = await kpm(["remove", "rm/purged", "--purge", "--yes"]);
    expect(result).toEqual({ code: 0, stdout: "", stderr: "Purged rm/purged\n" });
    expect((await kpm(["list", "--include-deleted", "rm"])).stdout).not.toContain("purged");
    expect((await kpm(["describe", "rm/purged"])).stderr).toBe("error: rm/purged not found\n");
    const operations = readAuditEvents(server).map((event) => event.operation);
    expect(operations).toContain("secret_purge");
  });

  test("a removed secret can be added again without --force; it is live at v2", async () => {
    expect((await kpm(["add", "rm/yes"], "again")).stderr).toBe("Stored rm/yes v2 [generic]\n");
    expect((await kpm(["describe", "rm/yes"])).stdout).not.toContain("DELETED");
    expect((await kpm(["list", "rm"])).stdout).toMatch(/ {2}yes .* v2\n/);
  });

  test("removing an unknown secret fails with the not-found text", async () => {
    expect(await kpm(["remove", "rm/never", "--yes"])).toEqual({
      code: 1,
      stdout: "",
      stderr: "error: rm/never not found\n",
    });
  });
});

describe("flag parsing", () => {
  test("an unknown flag prints two lines and exits 2", async () => {
    expect(await kpm(["list", "--bogus"])).toEqual({
      code: 2,
      stdout: "",
      stderr: "flag provided but not defined: -bogus\nRun 'kpm list --help' for usage.\n",
    });
  });

  test("a command's flag before the command is rejected", async () => {
    const result = await kpm(["--json", "list"]);
    expect(result.code).toBe(2);
    expect(result.stderr).toBe("flag provided but not defined: -json\n");
  });

  test("--verbose before the command is accepted", async () => {
    const result = await kpm(["--verbose", "list", "cloudflare"]);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain("cloudflare/\n");
  });

  test("a repeated flag: the last value wins", async () => {
    const repeated = await kpm(["list", "--tag", "nope", "--tag", "dns", "--json"]);
    const single = await kpm(["list", "--tag", "dns", "--json"]);
    expect(repeated.code).toBe(0);
    expect(repeated.stdout).toBe(single.stdout);
    expect(repeated.stdout).toContain('"path": "cloudflare/dns-token"');
    expect((await kpm(["list", "--tag", "dns", "--tag", "nope", "--json"])).stdout).toBe("[]\n");
  });

  test("a value flag without a value and an invalid boolean are syntax errors", async () => {
    const missing = await kpm(["list", "--tag"]);
    expect(missing.code).toBe(2);
    expect(missing.stderr.split("\n")[0]).toBe("flag needs an argument: -tag");
    const badBool = await kpm(["list", "--json=maybe"]);
    expect(badBool.code).toBe(2);
    expect(badBool.stderr.split("\n")[0]).toBe('invalid boolean value "maybe" for -json');
  });
});

describe("secret values never leak", () => {
  test("list, list --json, describe and history never print the value", async () => {
    for (const args of [
      ["list"],
      ["list", "--json"],
      ["list", "--include-deleted"],
      ["describe", "cloudflare/dns-token"],
      ["describe", "cloudflare/dns-token", "--json"],
      ["history", "cloudflare/dns-token"],
      ["history", "cloudflare/dns-token", "--json"],
    ]) {
      const result = await kpm(args);
      expect(result.code).toBe(0);
      expectNoMarker(result);
    }
  });

  test("--verbose add and get keep the value out of stderr", async () => {
    const added = await kpm(["-v", "add", "leak/check", "--description", "d"], MARKER);
    expect(added.code).toBe(0);
    expectNoMarker(added);
    const got = await kpm(["get", "leak/check", "--verbose"]);
    expect(got.stdout).toBe(MARKER);
    expect(got.stderr).not.toContain(MARKER);
  });

  test("the refusal to overwrite does not echo the new value", async () => {
    const result = await kpm(["add", "leak/check"], `${MARKER}-new`);
    expect(result.code).toBe(1);
    expectNoMarker(result);
  });

  test("the dev server's audit log holds no value", async () => {
    const text = JSON.stringify(readAuditEvents(server));
    expect(text).not.toContain(MARKER);
  });
});

describe("interactive add on a terminal", () => {
  /** One step of a terminal session: when `after` has appeared in the output, type `send`. */
  interface Step {
    after: string;
    send: string;
  }

  /**
   * Runs kpm under `script` (a real pty) and types each answer once its prompt has appeared.
   * Output comes back with the terminal's \r\n turned into \n.
   */
  async function onTerminal(args: string[], steps: Step[]): Promise<{ code: number; output: string }> {
    const quote = (word: string) => `'${word.replaceAll("'", "'\\''")}'`;
    const command = [process.execPath, KPM_ENTRY, ...args].map(quote).join(" ");
    const child = Bun.spawn(["script", "-qefc", command, "/dev/null"], {
      env: sandbox.env,
      cwd: sandbox.home,
      stdin: "pipe",
      stdout: "pipe",
      stderr: "pipe",
    });
    const decoder = new TextDecoder();
    let output = "";
    let consumed = 0;
    const pending = [...steps];
    for await (const chunk of child.stdout) {
      output += decoder.decode(chunk, { stream: true });
      const step = pending[0];
      const at = step ? output.indexOf(step.after, consumed) : -1;
      if (step && at !== -1) {
        consumed = at + step.after.length;
        pending.shift();
        // The prompt is written just before the terminal is switched to raw mode; typing into the
        // cooked terminal would let the kernel echo the value.
        await Bun.sleep(300);
        child.stdin.write(step.send);
        child.stdin.flush();
      }
    }
    child.stdin.end();
    return { code: await child.exited, output: output.replaceAll("\r\n", "\n") };
  }

  test("the value prompt does not echo, and backspace removes a character", async () => {
    const session = await onTerminal(["add", "tty/one"], [{ after: "Value: ", send: "s3cr\x7fet\r" }]);
    expect(session.code).toBe(0);
    expect(session.output).toStartWith("Value: \n");
    expect(session.output).toContain("Stored tty/one v1 [generic]");
    expect(session.output).not.toContain("s3c");
    expect((await kpm(["get", "tty/one"])).stdout).toBe("s3cet");
  });

  test("an existing secret asks before updating: n cancels, y continues to v2", async () => {
    const refused = await onTerminal(
      ["add", "tty/one"],
      [{ after: "tty/one exists (v1). Update to v2? [y/N] ", send: "n\r" }],
    );
    expect(refused.code).toBe(1);
    expect(refused.output).toContain("error: cancelled");
    const accepted = await onTerminal(
      ["add", "tty/one"],
      [
        { after: "Update to v2? [y/N] ", send: "y\r" },
        { after: "Value: ", send: "second\r" },
      ],
    );
    expect(accepted.code).toBe(0);
    expect(accepted.output).toContain("Stored tty/one v2 [generic]");
    expect((await kpm(["get", "tty/one"])).stdout).toBe("second");
  });

  test("Ctrl-C at the value prompt cancels without storing", async () => {
    const session = await onTerminal(["add", "tty/two"], [{ after: "Value: ", send: "abc\x03" }]);
    expect(session.code).toBe(1);
    expect(session.output).toContain("error: cancelled");
    expect((await kpm(["describe", "tty/two"])).stderr).toBe("error: tty/two not found\n");
  });

  // Bun's console.error paints every line red on a terminal; kpm writes stderr with fs.writeSync
  // so §1's exact texts reach a terminal unchanged.
  test("status lines on a terminal are plain text, without ANSI colour codes", async () => {
    const session = await onTerminal(["add", "tty/three"], [{ after: "Value: ", send: "v\r" }]);
    expect(session.output).toBe("Value: \nStored tty/three v1 [generic]\n");
  });
});

describe("compiled dist/kpm smoke", () => {
  const compiled = (args: string[], input?: string) =>
    runKpmProcess(args, { env: sandbox.env, input, binary: true });

  test("add, list --json, describe, get and remove --purge work in the compiled binary", async () => {
    expect(Bun.file(KPM_BINARY).size).toBeGreaterThan(0);
    const added = await compiled(["add", "bin/smoke", "--tags", "x"], "sk-smoke-value");
    expect(added).toEqual({ code: 0, stdout: "", stderr: "Stored bin/smoke v1 (tagged: x) [api-token]\n" });
    const listed = JSON.parse((await compiled(["list", "bin", "--json"])).stdout) as Array<{ path: string }>;
    expect(listed.map((entry) => entry.path)).toEqual(["bin/smoke"]);
    expect(
      (await compiled(["describe", "bin/smoke"])).stdout.startsWith("bin/smoke\n  Type:        api-token\n"),
    ).toBe(true);
    expect(await compiled(["get", "bin/smoke"])).toEqual({ code: 0, stdout: "sk-smoke-value", stderr: "" });
    expect((await compiled(["remove", "bin/smoke", "--purge", "--yes"])).stderr).toBe("Purged bin/smoke\n");
    expect((await compiled(["list", "--bogus"])).code).toBe(2);
  });
});
