// End-to-end proof of `kpm config push|pull` (spec §13, §18.20): templates round-trip byte for
// byte through a real dev server, and pull refuses every server-supplied file name that is not a
// plain base name — or whose target is a symlink — without writing outside its directory.
// biome-ignore-all lint/suspicious/noTemplateCurlyInString: templates spell ${kms:…} references literally
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import {
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { basename, dirname, join } from "node:path";
import { type AgentKmsClient, createClient } from "@kpm/agentkms-client";
import fc from "fast-check";
import { decodeStandardBase64, safeTemplateFileName } from "../apps/kpm/src/commands/config-pull.ts";
import {
  createSandbox,
  runKpmProcess,
  type Sandbox,
  startDevServerForTest,
  type TestDevServer,
  writeKpmConfig,
} from "./helpers/kpm-env.ts";

let server: TestDevServer;
let sandbox: Sandbox;
let api: AgentKmsClient;
let templates: string;

const kpm = (args: string[], env: Record<string, string> = {}) =>
  runKpmProcess(args, { env: { ...sandbox.env, ...env }, cwd: sandbox.home });
const mode = (path: string) => statSync(path).mode & 0o777;
const b64 = (text: string | Uint8Array) => Buffer.from(text).toString("base64");

const SHELL_ENV = "# shell\nANTHROPIC_API_KEY=${kms:llm/anthropic}\n";
// Not UTF-8 on purpose: push and pull move bytes, not text.
const BINARY = new Uint8Array([0x41, 0x3d, 0xff, 0xfe, 0x00, 0x0a, 0xc3, 0x28]);

beforeAll(async () => {
  server = await startDevServerForTest();
  sandbox = createSandbox();
  writeKpmConfig(sandbox.home, server);
  api = createClient({ server: server.addr, ...server.clientFiles });
  templates = join(sandbox.home, ".config/kpm/templates");
  mkdirSync(templates, { recursive: true });
});

afterAll(async () => {
  api?.close();
  sandbox?.cleanup();
  await server?.remove();
});

describe("kpm config", () => {
  test("without a subcommand, or with an unknown one, says which exist", async () => {
    const none = await kpm(["config"]);
    expect(none.stderr).toBe(
      "kpm config: subcommand required (push or pull)\nRun 'kpm config --help' for usage.\n",
    );
    expect(none.code).toBe(2);
    const unknown = await kpm(["config", "sync"]);
    expect(unknown.stderr).toBe(
      "kpm config: unknown subcommand \"sync\" (use push or pull)\nRun 'kpm config --help' for usage.\n",
    );
    expect(unknown.code).toBe(2);
  });

  test("push and pull need the client config", async () => {
    for (const sub of ["push", "pull"]) {
      const result = await kpm(["config", sub], { KPM_CONFIG: join(sandbox.root, "nowhere") });
      expect(result.stderr).toBe(
        "error: server, cert, key, and ca are required (set via config or flags)\n" +
          "run: kpm quickstart (or kpm init to configure an existing AgentKMS)\n",
      );
      expect(result.code).toBe(1);
    }
  });

  test("pull with nothing in the registry says to push first", async () => {
    const target = join(sandbox.root, "empty-pull");
    const result = await kpm(["config", "pull", target]);
    expect(result.stderr).toBe(
      `Pulling templates to ${target}\n  no templates found in AgentKMS (push some first with: kpm config push)\n`,
    );
    expect(result.code).toBe(0);
    expect(mode(target)).toBe(0o755);
  });

  test("push of a directory without templates says so", async () => {
    const empty = join(sandbox.root, "no-templates");
    mkdirSync(empty);
    writeFileSync(join(empty, "notes.txt"), "not a template\n");
    const result = await kpm(["config", "push", empty]);
    expect(result.stderr).toBe(`Pushing templates from ${empty}\n  no templates found in ${empty}\n`);
    expect(result.code).toBe(0);
  });
});

describe("kpm config push", () => {
  test("uploads each regular *.template directly in <TemplatesDir>, in name order, as base64 + filename", async () => {
    writeFileSync(join(templates, "shell-env.template"), SHELL_ENV);
    writeFileSync(join(templates, "bin.template"), BINARY);
    writeFileSync(join(templates, ".template"), "EMPTY=name\n");
    writeFileSync(join(templates, "README.md"), "ignored\n");
    mkdirSync(join(templates, "ai"));
    writeFileSync(join(templates, "ai", "claude.template"), "ignored=subdirectory\n");
    symlinkSync(join(templates, "shell-env.template"), join(templates, "alias.template"));
    const result = await kpm(["config", "push"]);
    expect(result.stderr).toBe(
      [
        `Pushing templates from ${templates}`,
        "  warning: skipping .template: no template name before .template",
        "  pushed bin.template → kpm/templates/bin",
        "  pushed shell-env.template → kpm/templates/shell-env",
        "✓ 2 templates pushed to AgentKMS",
        "",
      ].join("\n"),
    );
    expect(result.code).toBe(0);
    expect(await api.fetchRegistrySecret("kpm/templates/shell-env")).toEqual({
      content: b64(SHELL_ENV),
      filename: "shell-env.template",
    });
    expect((await api.fetchRegistrySecret("kpm/templates/bin")).content).toBe(b64(BINARY));
    const names = (await api.listMetadata()).map((meta) => meta.path).sort();
    expect(names).toEqual(["kpm/templates/bin", "kpm/templates/shell-env"]);
  });

  test("a template the server refuses is a warning and exit 1, the others still go", async () => {
    const dir = join(sandbox.root, "partly-bad");
    mkdirSync(dir);
    writeFileSync(join(dir, "good.template"), "A=1\n");
    writeFileSync(join(dir, `${"ab".repeat(40)}.template`), "B=2\n");
    const result = await kpm(["config", "push", dir]);
    expect(result.stderr).toContain(`  warning: failed to push ${"ab".repeat(40)}.template: `);
    expect(result.stderr).toContain("  pushed good.template → kpm/templates/good\n");
    expect(result.stderr).toContain("✓ 1 template pushed to AgentKMS\n");
    expect(result.code).toBe(1);
  });
});

describe("kpm config pull", () => {
  test("round-trips the pushed bytes into a new directory (0755) as 0644 files", async () => {
    const target = join(sandbox.root, "pulled");
    const result = await kpm(["config", "pull", target]);
    expect(result.stderr).toBe(
      [
        `Pulling templates to ${target}`,
        "  pulled bin.template",
        "  pulled good.template",
        "  pulled shell-env.template",
        "✓ 3 templates pulled from AgentKMS",
        "",
      ].join("\n"),
    );
    expect(result.code).toBe(0);
    expect(mode(target)).toBe(0o755);
    expect(readFileSync(join(target, "shell-env.template"), "utf8")).toBe(SHELL_ENV);
    expect(new Uint8Array(readFileSync(join(target, "bin.template")))).toEqual(BINARY);
    for (const name of readdirSync(target)) expect(mode(join(target, name))).toBe(0o644);
    expect(readdirSync(target).sort()).toEqual(["bin.template", "good.template", "shell-env.template"]);
  });

  test("keeps existing files unless --force", async () => {
    const target = join(sandbox.root, "pulled");
    writeFileSync(join(target, "shell-env.template"), "LOCAL=edit\n");
    const kept = await kpm(["config", "pull", target]);
    expect(kept.stderr).toContain("  kept existing shell-env.template (use --force to overwrite)\n");
    expect(kept.stderr).toContain("✓ 0 templates pulled from AgentKMS\n");
    expect(kept.code).toBe(0);
    expect(readFileSync(join(target, "shell-env.template"), "utf8")).toBe("LOCAL=edit\n");
    const forced = await kpm(["config", "pull", "--force", target]);
    expect(forced.stderr).toContain("  pulled shell-env.template\n");
    expect(forced.code).toBe(0);
    expect(readFileSync(join(target, "shell-env.template"), "utf8")).toBe(SHELL_ENV);
    expect(readdirSync(target).filter((name) => name.endsWith(".tmp"))).toEqual([]);
  });

  test("refuses unsafe server-supplied file names and symlink targets, writing nothing outside", async () => {
    const outside = join(sandbox.root, "outside");
    mkdirSync(outside);
    const target = join(outside, "inside");
    mkdirSync(target);
    const victim = join(outside, "victim.template");
    writeFileSync(victim, "UNTOUCHED=1\n");
    symlinkSync(victim, join(target, "link.template"));
    mkdirSync(join(target, "adir.template"));
    const entries: Array<[string, Record<string, string>]> = [
      ["dotdot", { content: b64("X=1\n"), filename: "../x.template" }],
      ["slash", { content: b64("X=1\n"), filename: "a/b.template" }],
      ["bare", { content: b64("X=1\n"), filename: ".template" }],
      ["control", { content: b64("X=1\n"), filename: "bell\u0007.template" }],
      ["backslash", { content: b64("X=1\n"), filename: "a\\b.template" }],
      ["parent", { content: b64("X=1\n"), filename: ".." }],
      ["link", { content: b64("EVIL=1\n"), filename: "link.template" }],
      ["adir", { content: b64("X=1\n"), filename: "adir.template" }],
      ["nocontent", { filename: "nocontent.template" }],
      ["badcontent", { content: "not base64!", filename: "badcontent.template" }],
      ["plain", { content: b64("OK=1\n"), filename: "plain" }],
      ["noname", { content: b64("OK=2\n") }],
    ];
    for (const [name, fields] of entries) await api.writeSecret(`kpm/templates/${name}`, fields);
    // Not candidates: a nested path and a soft-deleted entry.
    await api.writeSecret("kpm/templates/nested/deep", { content: b64("N=1\n"), filename: "deep.template" });
    await api.writeSecret("kpm/templates/gone", { content: b64("G=1\n"), filename: "gone.template" });
    await api.deleteSecret("kpm/templates/gone");

    const result = await kpm(["config", "pull", target]);
    expect(result.code).toBe(1);
    const lines = result.stderr.split("\n");
    for (const expected of [
      '  warning: refusing unsafe filename "../x.template" for kpm/templates/dotdot',
      '  warning: refusing unsafe filename "a/b.template" for kpm/templates/slash',
      '  warning: refusing unsafe filename ".template" for kpm/templates/bare',
      '  warning: refusing unsafe filename "bell\\u0007.template" for kpm/templates/control',
      '  warning: refusing unsafe filename "a\\\\b.template" for kpm/templates/backslash',
      '  warning: refusing unsafe filename ".." for kpm/templates/parent',
      '  warning: refusing unsafe filename "link.template" for kpm/templates/link',
      '  warning: refusing unsafe filename "adir.template" for kpm/templates/adir',
      "  warning: skipping kpm/templates/nocontent: missing or invalid content",
      "  warning: skipping kpm/templates/badcontent: missing or invalid content",
      "  pulled plain.template",
      "  pulled noname.template",
    ]) {
      expect(lines).toContain(expected);
    }
    expect(result.stderr).not.toContain("\u0007");
    expect(result.stderr).not.toContain("deep");
    expect(result.stderr).not.toContain("gone");
    expect(readFileSync(victim, "utf8")).toBe("UNTOUCHED=1\n");
    expect(readdirSync(outside).sort()).toEqual(["inside", "victim.template"]);
    expect(existsSync(join(sandbox.root, "x.template"))).toBe(false);
    expect(readFileSync(join(target, "plain.template"), "utf8")).toBe("OK=1\n");
    expect(readFileSync(join(target, "noname.template"), "utf8")).toBe("OK=2\n");
    expect(readdirSync(target).filter((name) => name.startsWith("."))).toEqual([]);
  });
});

describe("pull's file-name and content rules (properties)", () => {
  test("any accepted name is a plain base name ending in .template that stays inside the directory", () => {
    fc.assert(
      fc.property(fc.option(fc.string({ unit: "binary" })), fc.string({ minLength: 1 }), (filename, name) => {
        const file = safeTemplateFileName(filename ?? undefined, name.replaceAll("/", "_"));
        if (file === null) return;
        expect(file.endsWith(".template")).toBe(true);
        expect(file).not.toBe(".template");
        expect(basename(file)).toBe(file);
        expect(dirname(join("/d", file))).toBe("/d");
        expect(/[\u0000-\u001f\u007f-\u009f\\/]/.test(file)).toBe(false);
      }),
    );
  });

  test("names with a separator, a control character, or that are . or .. are refused, never rewritten", () => {
    for (const bad of [
      "../x.template",
      "a/b.template",
      "a\\b",
      "x\u0000.template",
      "x\u009b.template",
      ".",
      "..",
      ".template",
    ]) {
      expect(safeTemplateFileName(bad, "n")).toBeNull();
    }
    expect(safeTemplateFileName("", "shell-env")).toBe("shell-env.template");
    expect(safeTemplateFileName("notes", "n")).toBe("notes.template");
  });

  test("standard base64 of any bytes decodes back to them; other alphabets and broken padding are refused", () => {
    fc.assert(
      fc.property(fc.uint8Array(), (bytes) => {
        const decoded = decodeStandardBase64(Buffer.from(bytes).toString("base64"));
        expect(decoded && new Uint8Array(decoded)).toEqual(bytes);
      }),
    );
    for (const bad of [undefined, "a", "abc", "ab=c", "a-_b", "YWJj\n", "YQ", "YQ==="]) {
      expect(decodeStandardBase64(bad)).toBeNull();
    }
  });
});
