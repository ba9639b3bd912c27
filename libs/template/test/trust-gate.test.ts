// The project-trust hook points of @kpm/template: every file the loader, discovery, path
// resolution, `tree` summaries and the profile walk read is put to the caller's gate with the
// exact bytes that are then parsed, and a refused file counts as absent.
// biome-ignore-all lint/suspicious/noTemplateCurlyInString: templates spell ${kms:…} literally
import { describe, expect, test } from "bun:test";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import {
  discoverTemplate,
  loadProfiles,
  loadProfilesAsync,
  loadTemplate,
  resolveTemplatePath,
  summarizeTemplateDir,
  TemplateError,
  type TrustGate,
} from "../src/index.ts";
import { contextFor, thrown, useFixtures } from "./helpers.ts";

const { fixture } = useFixtures();

const project = ".kpm/templates";

/** A gate that refuses every file under `<root>/.kpm/` and records what it was asked. */
function refuseProject(root: string): { gate: TrustGate; asked: Array<[string, string]> } {
  const asked: Array<[string, string]> = [];
  const gate: TrustGate = (file, bytes) => {
    asked.push([file, new TextDecoder().decode(bytes)]);
    return !file.startsWith(join(root, ".kpm"));
  };
  return { gate, asked };
}

const keys = (entries: Array<{ key: string }>) => entries.map((entry) => entry.key);

describe("loadTemplate with a trust gate", () => {
  test("a refused project include counts as absent: the user's file of that name is used", () => {
    const root = fixture({
      "t.template": "${kms:include/base}\nOWN=1\n",
      [`${project}/base.template`]: "PROJECT=${kms:kv/db/prod#password}\n",
      "user/base.template": "USER=u\n",
    });
    const { gate, asked } = refuseProject(root);
    expect(keys(loadTemplate("t.template", { ...contextFor(root), trust: gate }))).toEqual(["USER", "OWN"]);
    expect(asked).toEqual([
      [join(root, "t.template"), "${kms:include/base}\nOWN=1\n"],
      [join(root, project, "base.template"), "PROJECT=${kms:kv/db/prod#password}\n"],
      [join(root, "user/base.template"), "USER=u\n"],
    ]);
    // Without the gate the project's file wins (§5.4): the gate is what changed the outcome.
    expect(keys(loadTemplate("t.template", contextFor(root)))).toEqual(["PROJECT", "OWN"]);
  });

  test("a refused include with no other candidate is 'not found'", () => {
    const root = fixture({ "t.template": "${kms:include/base}\n", [`${project}/base.template`]: "P=1\n" });
    const error = thrown(() =>
      loadTemplate("t.template", { ...contextFor(root), trust: refuseProject(root).gate }),
    );
    expect(error).toBeInstanceOf(TemplateError);
    expect((error as TemplateError).message).toContain('include target "base.template" not found');
  });

  test("a refused top-level template is an 'untrusted' error naming it", () => {
    const root = fixture({ [`${project}/claude.template`]: "A=1\n" });
    const file = join(root, project, "claude.template");
    const error = thrown(() => loadTemplate(file, { ...contextFor(root), trust: refuseProject(root).gate }));
    expect(error).toMatchObject({ code: "untrusted", message: `open template ${file}: not trusted` });
  });

  test("the bytes judged are the bytes parsed", () => {
    const root = fixture({ "t.template": "A=1\n" });
    const file = join(root, "t.template");
    // The gate rewrites the file after judging it: the entries must still be what it judged.
    const gate: TrustGate = (path, bytes) => {
      writeFileSync(path, "EVIL=${kms:kv/db/prod#password}\n");
      return new TextDecoder().decode(bytes) === "A=1\n";
    };
    expect(keys(loadTemplate(file, { ...contextFor(root), trust: gate }))).toEqual(["A"]);
    expect(readFileSync(file, "utf8")).toStartWith("EVIL=");
  });
});

describe("choosing a template with accept", () => {
  test("discovery skips a refused project template and finds the user's", () => {
    const root = fixture({ [`${project}/claude.template`]: "P=1\n", "user/ai/claude.template": "U=1\n" });
    const ctx = { cwd: root, templatesDir: join(root, "user") };
    expect(discoverTemplate("claude", ctx)).toBe(join(root, project, "claude.template"));
    expect(discoverTemplate("claude", ctx, (path) => !path.includes("/.kpm/"))).toBe(
      join(root, "user/ai/claude.template"),
    );
    expect(discoverTemplate("claude", ctx, () => false)).toBeNull();
  });

  test("a bare name skips refused candidates; nothing usable gives the cwd path", () => {
    const root = fixture({
      ".env.template": "C=1\n",
      [`${project}/.env.template`]: "P=1\n",
      "user/.env.template": "U",
    });
    const ctx = { cwd: root, templatesDir: join(root, "user"), home: "/nohome" };
    expect(resolveTemplatePath(".env.template", ctx)).toBe(join(root, ".env.template"));
    const notCwd = (path: string) => path !== join(root, ".env.template");
    expect(resolveTemplatePath(".env.template", { ...ctx, accept: notCwd })).toBe(
      join(root, project, ".env.template"),
    );
    const userOnly = (path: string) => path.startsWith(join(root, "user"));
    expect(resolveTemplatePath(".env.template", { ...ctx, accept: userOnly })).toBe(
      join(root, "user/.env.template"),
    );
    expect(resolveTemplatePath(".env.template", { ...ctx, accept: () => false })).toBe(
      join(root, ".env.template"),
    );
  });
});

describe("summaries and profiles with a gate", () => {
  test("tree shows a refused template as untrusted, without its references", () => {
    const root = fixture({
      [`${project}/a.template`]: "A=${kms:llm/x}\n",
      [`${project}/b.template`]: "B=1\n",
    });
    const dir = join(root, project);
    const summary = summarizeTemplateDir(dir, (file) => file.endsWith("b.template"));
    expect(summary).toEqual({
      entries: [
        { name: "a.template", untrusted: true },
        { name: "b.template", count: 0, includes: 0, refs: [] },
      ],
    });
  });

  test("a refused walk-up profile contributes nothing; the global config is never asked", async () => {
    const root = fixture({
      ".kpm/config.yaml": "profile:\n  env: hostile\n",
      "sub/.kpm/config.yaml": "profile:\n  region: eu\n",
      "global.yaml": "profile:\n  env: mine\n",
    });
    const asked: string[] = [];
    const opts = {
      cwd: join(root, "sub"),
      globalConfigPath: join(root, "global.yaml"),
      trust: (file: string) => {
        asked.push(file);
        return file.includes("/sub/");
      },
    };
    for (const load of [loadProfiles, loadProfilesAsync]) {
      asked.length = 0;
      const { values, warnings } = await load(opts);
      expect(Object.fromEntries([...values].map(([key, entry]) => [key, entry.value]))).toEqual({
        env: "mine",
        region: "eu",
      });
      expect(warnings).toEqual([]);
      expect(asked).not.toContain(join(root, "global.yaml"));
      expect(asked).toContain(join(root, ".kpm/config.yaml"));
    }
    // Without the gate the project's value wins over the global one (§5.6).
    const open = await loadProfiles({ cwd: opts.cwd, globalConfigPath: opts.globalConfigPath });
    expect(open.values.get("env")?.value).toBe("hostile");
  });
});
