import { describe, expect, test } from "bun:test";
import { symlinkSync } from "node:fs";
import { join } from "node:path";
import { summarizeTemplateDir } from "../src/index.ts";
import { useFixtures } from "./helpers.ts";

const { fixture } = useFixtures();

describe("§12.1 summarizeTemplateDir", () => {
  test("a missing directory is reported as missing", () => {
    expect(summarizeTemplateDir(join(fixture(), "nope"))).toEqual({ missing: true });
  });

  test("an empty directory has no entries", () => {
    expect(summarizeTemplateDir(fixture())).toEqual({ entries: [] });
  });

  test("a file in place of the directory is an error", () => {
    const root = fixture({ file: "" });
    expect(summarizeTemplateDir(join(root, "file"))).toEqual({
      error: `open ${join(root, "file")}: not a directory`,
    });
  });

  test("lists regular *.template files, dot-files and subdirectories included, sorted", () => {
    const root = fixture({
      "b.template": "",
      "a.template": "",
      ".env.template": "",
      "notes.txt": "",
      "sub/c.template": "",
      "dir.template/x": "",
      "Z.template": "",
    });
    symlinkSync(join(root, "a.template"), join(root, "link.template"));
    symlinkSync(join(root, "missing"), join(root, "dangling.template"));
    const summary = summarizeTemplateDir(root);
    expect("entries" in summary ? summary.entries.map((entry) => entry.name) : summary).toEqual([
      ".env.template",
      "Z.template",
      "a.template",
      "b.template",
      "link.template",
      "sub/c.template",
    ]);
  });

  test("counts KMS entries and include directives apart; refs omit defaults and plain entries", () => {
    const root = fixture({
      "app.template": [
        "# comment",
        "PLAIN=1",
        "DB=${kms:kv/db/prod#password:-x}",
        "${kms:include/shared/base}",
        "AI=${kms:llm/openai}",
        "K=${kms:stripe/live}",
        "",
      ].join("\n"),
    });
    expect(summarizeTemplateDir(root)).toEqual({
      entries: [
        {
          name: "app.template",
          count: 3,
          includes: 1,
          refs: ["kv/db/prod#password", "include/shared/base", "llm/openai", "stripe/live"],
        },
      ],
    });
  });

  test("an empty template has zero refs", () => {
    expect(summarizeTemplateDir(fixture({ "e.template": "# nothing\n" }))).toEqual({
      entries: [{ name: "e.template", count: 0, includes: 0, refs: [] }],
    });
  });

  test("profile variables are shown unresolved", () => {
    const root = fixture({
      "p.template": [
        "A=${kms:kv/db/{{profile:env:-dev}}#password}",
        "B=${kms:{{profile:svc}}/x:-d}",
        "C=${kms:{{profile:whole}}}",
        "${kms:include/{{profile:team}}/base}",
        "",
      ].join("\n"),
    });
    expect(summarizeTemplateDir(root)).toEqual({
      entries: [
        {
          name: "p.template",
          count: 3,
          includes: 1,
          refs: [
            "kv/db/{{profile:env:-dev}}#password",
            "{{profile:svc}}/x",
            "{{profile:whole}}",
            "include/{{profile:team}}/base",
          ],
        },
      ],
    });
  });

  test("an include whose shape depends on a profile is shown as written", () => {
    const root = fixture({ "i.template": "X=${kms:include/{{profile:p}}\n" });
    expect(summarizeTemplateDir(root)).toEqual({
      entries: [{ name: "i.template", count: 0, includes: 1, refs: ["include/{{profile:p}}"] }],
    });
  });

  test("duplicate keys count once, with the last value", () => {
    const root = fixture({ "d.template": "A=${kms:kv/one}\nB=${kms:kv/b}\nA=${kms:kv/two}\nB=plain\n" });
    expect(summarizeTemplateDir(root)).toEqual({
      entries: [{ name: "d.template", count: 1, includes: 0, refs: ["kv/two"] }],
    });
  });

  const invalid: [string, string][] = [
    ["nope\n", "%:1: no '=' found (expected KEY=VALUE, a comment, or an include directive)"],
    ["A=${kms:Kv/x}\n", '%:1: invalid reference in "A": expected ${kms:<type>/<path>[#key][:-default]}'],
    ["A=${kms:kv/a//b}\n", '%:1: invalid reference path "a//b": empty path segment'],
    ["${kms:include/../x}\n", '%:1: invalid include path "../x"'],
    ["${kms:include/x#k}\n", "%:1: invalid include directive: expected ${kms:include/<path>}"],
    [
      "A=${kms:kv/{{profile:x}\n",
      'error resolving profile variables: %:1: entry "A": unterminated profile variable in "${kms:kv/{{profile:x}"',
    ],
    [
      "${kms:include/{{profile:x}\n",
      'error resolving profile variables: %:1: include: unterminated profile variable in "${kms:include/{{profile:x}"',
    ],
    ["A=1\nB=\u0000\n", "%:2: NUL byte"],
  ];
  for (const [content, message] of invalid) {
    test(`a template failing with "${message.slice(4, 40)}…" shows its first error`, () => {
      const root = fixture({ "bad.template": content, "good.template": "G=${kms:kv/g}\n" });
      expect(summarizeTemplateDir(root)).toEqual({
        entries: [
          { name: "bad.template", error: message.replace("%", join(root, "bad.template")) },
          { name: "good.template", count: 1, includes: 0, refs: ["kv/g"] },
        ],
      });
    });
  }
});
