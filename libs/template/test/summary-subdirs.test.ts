// `kpm tree` lists the templates of subdirectories (`ai/claude.template`, where discovery and
// includes look) and counts include directives apart from secrets (spec §12.1 as amended).
import { describe, expect, test } from "bun:test";
import { mkdirSync, symlinkSync } from "node:fs";
import { join } from "node:path";
import { summarizeTemplateDir } from "../src/index.ts";
import { useFixtures } from "./helpers.ts";

const { fixture } = useFixtures();

function names(dir: string): string[] {
  const summary = summarizeTemplateDir(dir);
  if (!("entries" in summary)) throw new Error(`no entries: ${JSON.stringify(summary)}`);
  return summary.entries.map((entry) => entry.name);
}

describe("summarizeTemplateDir: subdirectories", () => {
  test("templates in subdirectories are listed by their path, sorted with the rest", () => {
    const root = fixture({
      "shell-env.template": "A=${kms:llm/openai}\n",
      "ai/claude.template": "ANTHROPIC_API_KEY=${kms:llm/anthropic}\n",
      "ai/codex.template": "OPENAI_API_KEY=${kms:llm/openai}\n",
      "infra/db/prod.template": "P=${kms:kv/db/prod#password}\n",
      "ai/notes.txt": "",
    });
    expect(names(root)).toEqual([
      "ai/claude.template",
      "ai/codex.template",
      "infra/db/prod.template",
      "shell-env.template",
    ]);
    const summary = summarizeTemplateDir(root);
    expect("entries" in summary && summary.entries[0]).toEqual({
      name: "ai/claude.template",
      count: 1,
      includes: 0,
      refs: ["llm/anthropic"],
    });
  });

  test("symlinked directories and dot-directories are not walked; an empty subdirectory adds nothing", () => {
    const root = fixture({ "real/a.template": "", ".git/x.template": "", ".env.template": "" });
    mkdirSync(join(root, "empty"));
    symlinkSync(join(root, "real"), join(root, "loop"));
    symlinkSync(root, join(root, "real", "back"));
    expect(names(root)).toEqual([".env.template", "real/a.template"]);
  });

  test("subdirectories are walked four levels deep, no deeper", () => {
    const root = fixture({
      "1/2/3/4/four.template": "",
      "1/2/3/4/5/five.template": "",
    });
    expect(names(root)).toEqual(["1/2/3/4/four.template"]);
  });

  test("a template with only includes has 0 secrets and its includes", () => {
    const root = fixture({ "stack.template": "${kms:include/ai/claude}\n${kms:include/shared/db}\n" });
    expect(summarizeTemplateDir(root)).toEqual({
      entries: [
        { name: "stack.template", count: 0, includes: 2, refs: ["include/ai/claude", "include/shared/db"] },
      ],
    });
  });
});
