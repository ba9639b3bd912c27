// Every example in README.md and docs/ works as written: kpm command lines in ```sh blocks name
// real commands and flags (checked with the real flag parser, nothing is run), ```template blocks
// parse as templates, ```yaml allowlist / ```yaml config blocks load with kpm's own loaders.
// The negative cases show that each check catches what it is for, with the file and line.
// biome-ignore-all lint/suspicious/noTemplateCurlyInString: templates spell ${kms:…} literally
import { describe, expect, test } from "bun:test";
import { readdirSync, readFileSync } from "node:fs";
import { join, relative } from "node:path";
import { checkMarkdown } from "./helpers/doc-examples.ts";
import { simpleCommands } from "./helpers/shell-commands.ts";

const ROOT = join(import.meta.dir, "..");

function markdownFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return markdownFiles(path);
    return entry.name.endsWith(".md") ? [path] : [];
  });
}

const FILES = [join(ROOT, "README.md"), ...markdownFiles(join(ROOT, "docs"))];

async function problemsOf(markdown: string, name = "doc.md"): Promise<string[]> {
  const { problems } = await checkMarkdown(markdown);
  return problems.map((problem) => `${name}:${problem.line}: ${problem.message}`);
}

describe("docs examples", () => {
  test("every example in README.md and docs/ parses", async () => {
    const problems: string[] = [];
    let checked = 0;
    for (const file of FILES) {
      const result = await checkMarkdown(readFileSync(file, "utf8"));
      checked += result.checked;
      for (const problem of result.problems)
        problems.push(`${relative(ROOT, file)}:${problem.line}: ${problem.message}`);
    }
    expect(problems).toEqual([]);
    // The generated reference alone holds one example per command: far more than this.
    expect(checked).toBeGreaterThan(100);
  });

  test("an unknown command, subcommand or flag is named with its file and line", async () => {
    const markdown = [
      "# Page",
      "",
      "```sh",
      "kpm lst",
      "kpm dev serv",
      'eval "$(kpm env --outptu shell)"',
      "kpm get x | kpm run --secrue -- claude   # two commands, one bad",
      "kpm list --json",
      "```",
    ].join("\n");
    expect(await problemsOf(markdown)).toEqual([
      "doc.md:4: unknown command: lst: kpm lst",
      'doc.md:5: kpm dev: unknown subcommand "serv": kpm dev serv',
      'doc.md:6: flag provided but not defined: -outptu: eval "$(kpm env --outptu shell)"',
      "doc.md:7: flag provided but not defined: -secrue: kpm get x | kpm run --secrue -- claude   # two commands, one bad",
    ]);
  });

  test("flags after run's command, quoted text, comments and other programs are not kpm's", async () => {
    const markdown = [
      "```bash",
      "kpm run -- sh -c 'kpm --nope'   # the child's flags are its own",
      "echo '--nope' # kpm --nope",
      "alias claude='kpm run --secure -- claude'",
      "KPM_DEBUG=1 kpm get llm/anthropic 2>/dev/null > out.txt",
      "kpm --config ./k.yaml list --tag ci && kpm help dev serve",
      "```",
    ].join("\n");
    expect(await problemsOf(markdown)).toEqual([]);
  });

  test("a broken template, allow-list, config, YAML or JSON block is named with its line", async () => {
    const markdown = [
      "```template", // 1
      "A=1",
      "no equals sign here",
      "B=${kms:include/base}",
      "```",
      "```yaml allowlist", // 6
      'claude: ["bad-name"]',
      "```",
      "```yaml config", // 9
      "secure_mode: true",
      "```",
      "```yaml", // 12
      "a: [",
      "```",
      "```json", // 15
      "{nope}",
      "```",
    ].join("\n");
    const problems = await problemsOf(markdown);
    expect(problems).toHaveLength(5);
    expect(problems[0]).toMatch(/^doc\.md:3: template: no '=' found/);
    expect(problems[1]).toMatch(/^doc\.md:7: yaml allowlist: /);
    expect(problems[2]).toMatch(/^doc\.md:10: yaml config: .*secure_mode: true is not supported/);
    expect(problems[3]).toMatch(/^doc\.md:13: yaml: /);
    expect(problems[4]).toMatch(/^doc\.md:16: json: /);
  });

  test("the same blocks, written correctly, pass (includes resolve, profiles have values)", async () => {
    const markdown = [
      "```template",
      "${kms:include/ai/claude}",
      "DB=${kms:kv/db/{{profile:env}}#password:-x}",
      "```",
      "```yaml allowlist",
      "claude: { ANTHROPIC_API_KEY: llm/anthropic }",
      "```",
      "```yaml config",
      "server: https://127.0.0.1:8443",
      "secure_mode: false",
      "```",
    ].join("\n");
    const result = await checkMarkdown(markdown);
    expect(result.problems).toEqual([]);
    expect(result.checked).toBe(3);
  });
});

describe("shell command splitting", () => {
  test("finds kpm inside substitutions, subshells and pipelines; drops redirections and comments", () => {
    expect(simpleCommands('eval "$(kpm env --output shell)"   # load')).toEqual([
      ["kpm", "env", "--output", "shell"],
      ["eval", "<substitution>"],
    ]);
    expect(simpleCommands("source <(kpm completion bash) 2>&1")).toEqual([
      ["kpm", "completion", "bash"],
      ["source", "<substitution>"],
    ]);
    expect(simpleCommands('printf %s "$X" | kpm add a/b --tags x,y > log 2>/dev/null; (kpm list)')).toEqual([
      ["printf", "%s", "$X"],
      ["kpm", "add", "a/b", "--tags", "x,y"],
      ["kpm", "list"],
    ]);
    expect(simpleCommands('kpm get \'kv/db#user:-app\' && echo "a \\"b\\""')).toEqual([
      ["kpm", "get", "kv/db#user:-app"],
      ["echo", 'a "b"'],
    ]);
  });
});
