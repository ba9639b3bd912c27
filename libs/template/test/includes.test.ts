import { describe, expect, test } from "bun:test";
import { symlinkSync } from "node:fs";
import { join } from "node:path";
import { loadTemplate, type TemplateEntry, TemplateError } from "../src/index.ts";
import { contextFor, profileOf, thrown, useFixtures } from "./helpers.ts";

const { fixture } = useFixtures();

const project = ".kpm/templates";

function pairs(entries: TemplateEntry[]) {
  return entries.map((entry) => [entry.key, entry.kind === "plain" ? entry.value : entry.raw]);
}

function errorOf(root: string, top = "t.template", profile: Record<string, string> = {}) {
  const error = thrown(() => loadTemplate(top, contextFor(root, profileOf(profile))));
  if (!(error instanceof TemplateError)) throw error;
  return { code: error.code, message: error.message.replaceAll(`${root}/`, "") };
}

describe("§5.4 include directives", () => {
  test("a directive line includes the project template with .template appended", () => {
    const root = fixture({
      "t.template": "${kms:include/base}\nOWN=1\n",
      [`${project}/base.template`]: "BASE=b\n",
    });
    const entries = loadTemplate("t.template", contextFor(root));
    expect(pairs(entries)).toEqual([
      ["BASE", "b"],
      ["OWN", "1"],
    ]);
    expect(entries[0]).toMatchObject({ file: join(root, project, "base.template"), line: 1 });
  });

  test("KEY=${kms:include/…} is a directive and its key is ignored", () => {
    const root = fixture({
      "t.template": "IGNORED=${kms:include/base}\n-bad key-=${kms:include/more}\n",
      [`${project}/base.template`]: "BASE=b\n",
      [`${project}/more.template`]: "MORE=m\n",
    });
    expect(pairs(loadTemplate("t.template", contextFor(root)))).toEqual([
      ["BASE", "b"],
      ["MORE", "m"],
    ]);
  });

  test("a path already ending in .template is used as is, subdirectories allowed", () => {
    const root = fixture({
      "t.template": "${kms:include/shared/db.template}\n",
      [`${project}/shared/db.template`]: "DB=1\n",
    });
    expect(pairs(loadTemplate("t.template", contextFor(root)))).toEqual([["DB", "1"]]);
  });

  test("the project directory is searched before the user directory", () => {
    const root = fixture({
      "t.template": "${kms:include/base}\n${kms:include/user-only}\n",
      [`${project}/base.template`]: "FROM=project\n",
      "user/base.template": "FROM=user\n",
      "user/user-only.template": "U=1\n",
    });
    expect(pairs(loadTemplate("t.template", contextFor(root)))).toEqual([
      ["FROM", "project"],
      ["U", "1"],
    ]);
  });

  test("a directory with the include's name is not a match", () => {
    const root = fixture({
      "t.template": "${kms:include/base}\n",
      [`${project}/base.template/x`]: "",
      "user/base.template": "FROM=user\n",
    });
    expect(pairs(loadTemplate("t.template", contextFor(root)))).toEqual([["FROM", "user"]]);
  });

  test("a missing include lists both directories checked", () => {
    const root = fixture({ "t.template": "A=1\n${kms:include/nope}\n" });
    expect(thrown(() => loadTemplate("t.template", contextFor(root)))).toMatchObject({
      code: "include",
      message: `${root}/t.template:2: include target "nope.template" not found (checked ${root}/.kpm/templates, ${root}/user)`,
    });
  });

  test("the directive is profile-expanded before it is parsed", () => {
    const root = fixture({
      "t.template": "${kms:include/{{profile:env:-dev}}/db}\n",
      [`${project}/dev/db.template`]: "ENV=dev\n",
      [`${project}/prod/db.template`]: "ENV=prod\n",
    });
    expect(pairs(loadTemplate("t.template", contextFor(root)))).toEqual([["ENV", "dev"]]);
    expect(pairs(loadTemplate("t.template", contextFor(root, profileOf({ env: "prod" }))))).toEqual([
      ["ENV", "prod"],
    ]);
  });

  test("a profile failure in a directive is reported as an include", () => {
    const root = fixture({ "t.template": "${kms:include/{{profile:env}}}\n" });
    expect(errorOf(root)).toEqual({
      code: "profile",
      message:
        'error resolving profile variables: t.template:1: include: profile variable "env" not found (checked .kpm/config.yaml up to root + global config)',
    });
  });

  for (const directive of [
    "${kms:include/x",
    "${kms:include/x} trailing",
    "${kms:include/x#k}",
    "${kms:include/x:-d}",
    "${kms:include/}",
  ]) {
    test(`${directive} is an invalid directive`, () => {
      const root = fixture({ "t.template": `${directive}\n` });
      expect(errorOf(root)).toEqual({
        code: "include",
        message: "t.template:1: invalid include directive: expected ${kms:include/<path>}",
      });
    });
  }

  for (const path of ["/etc/passwd", "../up", "a/../b", "./a", "a//b", "a/", "a\\b", "a/./b"]) {
    test(`include path "${path}" is rejected`, () => {
      const root = fixture({ "t.template": `\${kms:include/${path}}\n` });
      expect(errorOf(root)).toEqual({
        code: "include",
        message: `t.template:1: invalid include path "${path}"`,
      });
    });
  }

  test("a control character from a profile value is an invalid include path", () => {
    const root = fixture({ "t.template": "${kms:include/{{profile:p}}}\n" });
    expect(errorOf(root, "t.template", { p: "a\tb" })).toEqual({
      code: "include",
      message: 't.template:1: invalid include path "a\tb"',
    });
  });

  test("included entries come before own entries, and own entries override them", () => {
    const root = fixture({
      "t.template": "A=own-a\n${kms:include/base}\nC=own-c\n",
      [`${project}/base.template`]: "B=base-b\nC=base-c\nA=base-a\n",
    });
    expect(pairs(loadTemplate("t.template", contextFor(root)))).toEqual([
      ["B", "base-b"],
      ["C", "own-c"],
      ["A", "own-a"],
    ]);
  });

  test("between two includes the later one wins, at the first one's position", () => {
    const root = fixture({
      "t.template": "${kms:include/one}\n${kms:include/two}\n",
      [`${project}/one.template`]: "X=one\nONE=1\n",
      [`${project}/two.template`]: "TWO=2\nX=two\n",
    });
    expect(pairs(loadTemplate("t.template", contextFor(root)))).toEqual([
      ["X", "two"],
      ["ONE", "1"],
      ["TWO", "2"],
    ]);
  });

  test("nested includes are flattened depth-first", () => {
    const root = fixture({
      "t.template": "${kms:include/a}\nT=t\n",
      [`${project}/a.template`]: "${kms:include/b}\nA=a\n",
      [`${project}/b.template`]: "B=${kms:kv/b#k}\n",
    });
    expect(pairs(loadTemplate("t.template", contextFor(root)))).toEqual([
      ["B", "${kms:kv/b#k}"],
      ["A", "a"],
      ["T", "t"],
    ]);
  });

  test("a diamond (one file reached through two branches) is allowed", () => {
    const root = fixture({
      "t.template": "${kms:include/left}\n${kms:include/right}\n",
      [`${project}/left.template`]: "${kms:include/common}\nL=1\n",
      [`${project}/right.template`]: "${kms:include/common}\nR=1\n",
      [`${project}/common.template`]: "C=1\n",
    });
    expect(pairs(loadTemplate("t.template", contextFor(root)))).toEqual([
      ["C", "1"],
      ["L", "1"],
      ["R", "1"],
    ]);
  });

  test("the same file included twice is fine", () => {
    const root = fixture({
      "t.template": "${kms:include/c}\n${kms:include/c}\n",
      [`${project}/c.template`]: "C=1\n",
    });
    expect(pairs(loadTemplate("t.template", contextFor(root)))).toEqual([["C", "1"]]);
  });

  test("a cycle names the whole cycle at the closing directive", () => {
    const root = fixture({
      [`${project}/a.template`]: "A=1\n${kms:include/b}\n",
      [`${project}/b.template`]: "${kms:include/a}\n",
    });
    expect(errorOf(root, `${project}/a.template`)).toEqual({
      code: "include",
      message: ".kpm/templates/b.template:1: circular include detected: a.template → b.template → a.template",
    });
  });

  test("a cycle below the top level names only the cycle, with logical paths", () => {
    const root = fixture({
      "t.template": "${kms:include/x}\n",
      [`${project}/x.template`]: "${kms:include/sub/y}\n",
      [`${project}/sub/y.template`]: "${kms:include/x}\n",
    });
    expect(errorOf(root).message).toBe(
      ".kpm/templates/sub/y.template:1: circular include detected: x.template → sub/y.template → x.template",
    );
  });

  test("a file including itself is a cycle", () => {
    const root = fixture({ [`${project}/self.template`]: "${kms:include/self}\n" });
    expect(errorOf(root, `${project}/self.template`).message).toBe(
      ".kpm/templates/self.template:1: circular include detected: self.template → self.template",
    );
  });

  test("cycle detection compares real paths, so a symlink does not hide a cycle", () => {
    const root = fixture({ [`${project}/a.template`]: "${kms:include/link}\n" });
    symlinkSync(join(root, project, "a.template"), join(root, project, "link.template"));
    expect(errorOf(root, `${project}/a.template`).message).toBe(
      ".kpm/templates/a.template:1: circular include detected: a.template → link.template",
    );
  });

  /** t.template includes d1, d1 includes d2, … up to d<levels>. */
  function chain(levels: number): string {
    const files: Record<string, string> = { "t.template": "${kms:include/d1}\n" };
    for (let depth = 1; depth <= levels; depth++) {
      files[`${project}/d${depth}.template`] =
        `L${depth}=${depth}\n${depth < levels ? `\${kms:include/d${depth + 1}}\n` : ""}`;
    }
    return fixture(files);
  }

  test("16 nested includes are allowed", () => {
    const entries = loadTemplate("t.template", contextFor(chain(16)));
    expect(entries).toHaveLength(16);
    expect(entries[0]).toMatchObject({ key: "L16" });
  });

  test("the 17th nested include fails at its directive", () => {
    expect(errorOf(chain(17))).toEqual({
      code: "include",
      message: ".kpm/templates/d16.template:2: include depth limit (16) exceeded",
    });
  });

  test("errors inside an included file name that file and line", () => {
    const root = fixture({ "t.template": "${kms:include/bad}\n", [`${project}/bad.template`]: "A=\u0000\n" });
    expect(errorOf(root)).toEqual({ code: "parse", message: ".kpm/templates/bad.template:1: NUL byte" });
  });

  test("a relative templatesDir is resolved against cwd", () => {
    const root = fixture({ "t.template": "${kms:include/u}\n", "rel/u.template": "U=1\n" });
    const entries = loadTemplate("t.template", { cwd: root, templatesDir: "rel", profile: new Map() });
    expect(pairs(entries)).toEqual([["U", "1"]]);
  });
});
