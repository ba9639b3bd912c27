import { describe, expect, test } from "bun:test";
import { symlinkSync } from "node:fs";
import { join } from "node:path";
import { discoverTemplate, discoveryDirectories, expandHome, resolveTemplatePath } from "../src/index.ts";
import { useFixtures } from "./helpers.ts";

const { fixture } = useFixtures();

function contextIn(root: string) {
  return { cwd: join(root, "cwd"), templatesDir: join(root, "user"), home: join(root, "home") };
}

describe("§5.5 resolveTemplatePath", () => {
  test("a relative path is resolved against cwd when it exists", () => {
    const root = fixture({ "cwd/.env.template": "", "cwd/.kpm/templates/.env.template": "" });
    expect(resolveTemplatePath(".env.template", contextIn(root))).toBe(join(root, "cwd/.env.template"));
  });

  test("an absolute path is kept", () => {
    const root = fixture({ "x.template": "" });
    expect(resolveTemplatePath(join(root, "x.template"), contextIn(root))).toBe(join(root, "x.template"));
  });

  test("'~/' and '~' expand to home, '~user' does not", () => {
    const root = fixture({ "home/t.template": "" });
    expect(resolveTemplatePath("~/t.template", contextIn(root))).toBe(join(root, "home/t.template"));
    expect(resolveTemplatePath("~", contextIn(root))).toBe(join(root, "home"));
    expect(resolveTemplatePath("~user/t.template", contextIn(root))).toBe(join(root, "cwd/~user/t.template"));
    expect(expandHome("a~/b", "/h")).toBe("a~/b");
  });

  test("a bare name falls back to the project templates, then the user templates", () => {
    const root = fixture({
      "cwd/.kpm/templates/p.template": "",
      "user/p.template": "",
      "user/u.template": "",
    });
    expect(resolveTemplatePath("p.template", contextIn(root))).toBe(
      join(root, "cwd/.kpm/templates/p.template"),
    );
    expect(resolveTemplatePath("u.template", contextIn(root))).toBe(join(root, "user/u.template"));
  });

  test("a value with '/' never falls back", () => {
    const root = fixture({ "user/sub/u.template": "", "cwd/.keep": "" });
    expect(resolveTemplatePath("sub/u.template", contextIn(root))).toBe(join(root, "cwd/sub/u.template"));
  });

  test("when nothing exists the cwd-relative path is returned", () => {
    const root = fixture();
    expect(resolveTemplatePath(".env.template", contextIn(root))).toBe(join(root, "cwd/.env.template"));
  });
});

describe("§5.5 discoverTemplate", () => {
  test("searches project, user, then user/ai, infra, db, customers", () => {
    const root = fixture();
    const ctx = { cwd: join(root, "cwd"), templatesDir: join(root, "user") };
    expect(discoveryDirectories(ctx)).toEqual([
      join(root, "cwd/.kpm/templates"),
      join(root, "user"),
      join(root, "user/ai"),
      join(root, "user/infra"),
      join(root, "user/db"),
      join(root, "user/customers"),
    ]);
  });

  const order = ["cwd/.kpm/templates", "user", "user/ai", "user/infra", "user/db", "user/customers"];
  for (let index = 0; index < order.length; index++) {
    test(`finds the template in ${order[index]} before the later directories`, () => {
      const files = Object.fromEntries(order.slice(index).map((dir) => [`${dir}/claude.template`, ""]));
      const root = fixture(files);
      const ctx = { cwd: join(root, "cwd"), templatesDir: join(root, "user") };
      expect(discoverTemplate("claude", ctx)).toBe(join(root, order[index] ?? "", "claude.template"));
    });
  }

  test("uses the basename of the command as typed", () => {
    const root = fixture({ "user/infra/terraform.template": "" });
    const ctx = { cwd: join(root, "cwd"), templatesDir: join(root, "user") };
    expect(discoverTemplate("/usr/local/bin/terraform", ctx)).toBe(
      join(root, "user/infra/terraform.template"),
    );
    expect(discoverTemplate("./terraform", ctx)).toBe(join(root, "user/infra/terraform.template"));
  });

  test("skips directories and dangling links, follows links to files", () => {
    const root = fixture({ "cwd/.kpm/templates/tool.template/x": "", "user/real": "" });
    symlinkSync(join(root, "missing"), join(root, "user/tool.template"));
    const ctx = { cwd: join(root, "cwd"), templatesDir: join(root, "user") };
    expect(discoverTemplate("tool", ctx)).toBeNull();
    symlinkSync(join(root, "user/real"), join(root, "user/linked.template"));
    expect(discoverTemplate("linked", ctx)).toBe(join(root, "user/linked.template"));
  });

  test("returns null when there is nothing, or the name is empty or a dot name", () => {
    const root = fixture({ "user/..template": "" });
    const ctx = { cwd: join(root, "cwd"), templatesDir: join(root, "user") };
    expect(discoverTemplate("nothing", ctx)).toBeNull();
    expect(discoverTemplate("", ctx)).toBeNull();
    expect(discoverTemplate(".", ctx)).toBeNull();
    expect(discoverTemplate("..", ctx)).toBeNull();
  });
});
