// An include must resolve, through every symlink, to a file inside the templates directory it
// was found in (§5.4 as hardened): a link to ~/.ssh/id_rsa or up and out of the directory is
// refused with file:line before the target is read.

import { describe, expect, test } from "bun:test";
import { mkdirSync, symlinkSync } from "node:fs";
import { dirname, join } from "node:path";
import { loadTemplate, type TemplateEntry, TemplateError } from "../src/index.ts";
import { contextFor, thrown, useFixtures } from "./helpers.ts";

const { fixture } = useFixtures();
const project = ".kpm/templates";

/** Another project's plaintext .env: an include that reached it would hand its values to the tool. */
const LEAK_MARKER = "sk_live_LEAKMARKER_42";

/** A symlink at `<root>/<at…>` pointing to `target`, creating the parent directories. */
function link(root: string, target: string, ...at: string[]): void {
  const path = join(root, ...at);
  mkdirSync(dirname(path), { recursive: true });
  symlinkSync(target, path);
}

function keys(entries: TemplateEntry[]): string[] {
  return entries.map((entry) => entry.key);
}

function includeError(root: string, top = "t.template"): { code: string; message: string } {
  const error = thrown(() => loadTemplate(top, contextFor(root)));
  if (!(error instanceof TemplateError)) throw error;
  return { code: error.code, message: error.message };
}

describe("includes stay inside their templates directory", () => {
  test("a symlink to another project's .env is refused; read as a template, its values come through", () => {
    const root = fixture({
      "t.template": "A=1\n${kms:include/base}\n",
      "home/other-project/.env": `STRIPE_KEY=${LEAK_MARKER}\n`,
    });
    link(root, join(root, "home/other-project/.env"), project, "base.template");
    const refused = includeError(root);
    expect(refused).toEqual({
      code: "include",
      message: `${root}/t.template:2: include "base.template" resolves outside ${root}/${project}`,
    });
    expect(refused.message).not.toContain(LEAK_MARKER);
    // The undefended path: the same file parsed as a template yields the value as a plain entry,
    // and plain entries pass even a --secure allow-list.
    const leaked = loadTemplate(join(root, "home/other-project/.env"), contextFor(root));
    expect(leaked).toMatchObject([{ kind: "plain", key: "STRIPE_KEY", value: LEAK_MARKER }]);
  });

  test("a symlink to ~/.ssh/id_rsa is refused before the key is read", () => {
    const root = fixture({
      "t.template": "${kms:include/id}\n",
      "home/.ssh/id_rsa": "-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjE=\n",
    });
    link(root, join(root, "home/.ssh/id_rsa"), project, "id.template");
    expect(includeError(root).message).toBe(
      `${root}/t.template:1: include "id.template" resolves outside ${root}/${project}`,
    );
  });

  test("a symlink to a template elsewhere is refused; loaded directly, its entries would come in", () => {
    const root = fixture({
      "t.template": "${kms:include/shared}\n",
      "elsewhere/shared.template": "STOLEN=${kms:kv/other/team#token}\n",
    });
    link(root, join(root, "elsewhere/shared.template"), project, "shared.template");
    expect(includeError(root).message).toBe(
      `${root}/t.template:1: include "shared.template" resolves outside ${root}/${project}`,
    );
    expect(keys(loadTemplate(join(root, "elsewhere/shared.template"), contextFor(root)))).toEqual(["STOLEN"]);
  });

  test("a relative link climbing out with .. is refused", () => {
    const root = fixture({ "t.template": "${kms:include/up}\n", "outside.template": "X=1\n" });
    link(root, "../../outside.template", project, "up.template");
    expect(includeError(root).message).toBe(
      `${root}/t.template:1: include "up.template" resolves outside ${root}/${project}`,
    );
  });

  test("a symlinked sub-directory whose target is .. cannot be used to walk out", () => {
    const root = fixture({
      "t.template": "${kms:include/parent/parent/outside}\n",
      "outside.template": "X=1\n",
    });
    // parent → .kpm, parent/parent → the project root: the logical path has no "..", the real one does.
    link(root, "..", project, "parent");
    link(root, "..", ".kpm", "parent");
    expect(includeError(root).message).toBe(
      `${root}/t.template:1: include "parent/parent/outside.template" resolves outside ${root}/${project}`,
    );
  });

  test("the user templates directory is held to the same rule", () => {
    const root = fixture({ "t.template": "${kms:include/u}\n", "secret.template": "S=1\n" });
    link(root, join(root, "secret.template"), "user/u.template");
    expect(includeError(root).message).toBe(
      `${root}/t.template:1: include "u.template" resolves outside ${root}/user`,
    );
  });

  test("an escaping project link is refused even when the user directory has a proper file", () => {
    const root = fixture({
      "t.template": "${kms:include/base}\n",
      "user/base.template": "FROM=user\n",
      "outside.template": "FROM=outside\n",
    });
    link(root, join(root, "outside.template"), project, "base.template");
    expect(includeError(root).code).toBe("include");
  });

  test("an error inside a nested include names the nested directive", () => {
    const root = fixture({
      "t.template": "${kms:include/a}\n",
      [`${project}/a.template`]: "A=1\n${kms:include/b}\n",
      "outside/b.template": "B=1\n",
    });
    link(root, join(root, "outside/b.template"), project, "b.template");
    expect(includeError(root).message).toBe(
      `${root}/${project}/a.template:2: include "b.template" resolves outside ${root}/${project}`,
    );
  });
});

describe("symlinks that stay inside are allowed", () => {
  test("a file link and a directory link within the templates directory", () => {
    const root = fixture({
      "t.template": "${kms:include/alias}\n${kms:include/shared/db}\n",
      [`${project}/real.template`]: "REAL=1\n",
      [`${project}/sub/db.template`]: "DB=1\n",
    });
    link(root, "real.template", project, "alias.template");
    link(root, join(root, project, "sub"), project, "shared");
    expect(keys(loadTemplate("t.template", contextFor(root)))).toEqual(["REAL", "DB"]);
  });

  test("a link up with .. that lands back inside the directory", () => {
    const root = fixture({
      "t.template": "${kms:include/sub/back}\n",
      [`${project}/top.template`]: "TOP=1\n",
    });
    link(root, "../top.template", project, "sub/back.template");
    expect(keys(loadTemplate("t.template", contextFor(root)))).toEqual(["TOP"]);
  });

  test("a templates directory that is itself a symlink (dotfiles) is compared by its real path", () => {
    const root = fixture({ "t.template": "${kms:include/u}\n", "dotfiles/kpm/u.template": "U=1\n" });
    link(root, join(root, "dotfiles/kpm"), "user");
    expect(keys(loadTemplate("t.template", contextFor(root)))).toEqual(["U"]);
  });

  test("a directory sharing the templates directory's name as a prefix is outside", () => {
    // <root>/.kpm/templates-evil starts with "<root>/.kpm/templates" but is not below it.
    const root = fixture({ "t.template": "${kms:include/x}\n", ".kpm/templates-evil/x.template": "X=1\n" });
    link(root, join(root, ".kpm/templates-evil/x.template"), project, "x.template");
    expect(includeError(root).message).toBe(
      `${root}/t.template:1: include "x.template" resolves outside ${root}/${project}`,
    );
  });
});
