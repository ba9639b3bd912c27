// Checks the fenced code blocks of Markdown files with kpm's real parsers, and names the file and
// line of every example that would not work:
//   ```sh / ```bash       every kpm command line: command, subcommands and flags exist
//   ```template           parses as a template (includes resolve to empty templates)
//   ```yaml allowlist     parses as a secure-allowlist.yaml
//   ```yaml config        loads as a config.yaml
//   ```yaml, ```json      parse as YAML / JSON
// Other blocks (```text, untagged transcripts) are output and are not checked.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { parseAllowlist } from "@kpm/allowlist";
import { loadTemplate, type ProfileValues } from "@kpm/template";
import { parse as parseYaml } from "yaml";
import { loadConfig } from "../../apps/kpm/src/config.ts";
import { checkKpmArgv } from "./kpm-argv.ts";
import { kpmArguments, simpleCommands } from "./shell-commands.ts";

export interface CodeBlock {
  /** The info string's words: ["yaml", "allowlist"]. */
  info: string[];
  /** 1-based line of the first content line. */
  line: number;
  lines: string[];
}

/** Fenced blocks (``` or ~~~, any indentation, so list items count); content is de-indented. */
export function codeBlocks(markdown: string): CodeBlock[] {
  const blocks: CodeBlock[] = [];
  const lines = markdown.split("\n");
  let open: { fence: string; indent: number; block: CodeBlock } | null = null;
  lines.forEach((text, index) => {
    const fence = /^( *)(`{3,}|~{3,})\s*(.*)$/.exec(text);
    if (open === null) {
      if (fence) {
        const info = (fence[3] ?? "").split(/\s+/).filter((word) => word.length > 0);
        const block = { info, line: index + 2, lines: [] };
        open = { fence: fence[2] ?? "```", indent: fence[1]?.length ?? 0, block };
      }
      return;
    }
    if (fence && (fence[2] ?? "").startsWith(open.fence) && fence[3] === "") {
      blocks.push(open.block);
      open = null;
      return;
    }
    const indent = open.indent;
    open.block.lines.push(text.slice(Math.min(indent, text.length - text.trimStart().length)));
  });
  return blocks;
}

export interface Problem {
  line: number;
  message: string;
}

export interface CheckResult {
  problems: Problem[];
  /** How many kpm command lines and structured blocks were checked (a check that checks nothing fails). */
  checked: number;
}

/** Logical lines (a trailing `\` joins the next) with the line each starts on. */
function logicalLines(block: CodeBlock): Array<{ line: number; text: string }> {
  const out: Array<{ line: number; text: string }> = [];
  let pending: { line: number; text: string } | null = null;
  block.lines.forEach((text, index) => {
    const current: { line: number; text: string } = pending ?? { line: block.line + index, text: "" };
    if (text.endsWith("\\")) {
      current.text += `${text.slice(0, -1)} `;
      pending = current;
      return;
    }
    current.text += text;
    out.push(current);
    pending = null;
  });
  if (pending) out.push(pending);
  return out;
}

async function checkShell(block: CodeBlock, result: CheckResult): Promise<void> {
  for (const { line, text } of logicalLines(block)) {
    for (const words of simpleCommands(text)) {
      const argv = kpmArguments(words);
      if (argv === null) continue;
      result.checked++;
      const problem = await checkKpmArgv(argv);
      if (problem !== null) result.problems.push({ line, message: `${problem}: ${text.trim()}` });
    }
  }
}

/** The block loaded as a template from a scratch directory where every include is an empty file. */
function checkTemplate(block: CodeBlock, scratch: string): Problem | null {
  const text = block.lines.join("\n");
  const templatesDir = join(scratch, "templates");
  for (const match of text.matchAll(/\$\{kms:include\/([^}]+)\}/g)) {
    const name = (match[1] ?? "").endsWith(".template") ? (match[1] ?? "") : `${match[1]}.template`;
    mkdirSync(dirname(join(templatesDir, name)), { recursive: true });
    writeFileSync(join(templatesDir, name), "");
  }
  // Every profile variable the example uses has some value: the example is about syntax.
  const profile: ProfileValues = new Map();
  for (const match of text.matchAll(/\{\{profile:([^}:]+)/g)) {
    profile.set(match[1] ?? "", { value: "example", source: "docs" });
  }
  const file = join(scratch, "example.template");
  writeFileSync(file, `${text}\n`);
  try {
    loadTemplate(file, { cwd: scratch, templatesDir, profile });
    return null;
  } catch (error) {
    // `<scratch file>:<n>: <problem>` becomes the Markdown line of that template line.
    const message = (error as Error).message;
    const at = /^[^:]*example\.template:(\d+): /.exec(message);
    if (!at) return { line: block.line, message: `template: ${message}` };
    return { line: block.line + Number(at[1]) - 1, message: `template: ${message.slice(at[0].length)}` };
  }
}

function checkStructured(block: CodeBlock, scratch: string): string | null {
  const text = block.lines.join("\n");
  const [language, kind] = block.info;
  try {
    if (language === "json") JSON.parse(text);
    else if (kind === "allowlist") parseAllowlist(text, "secure-allowlist.yaml");
    else if (kind === "config") {
      const file = join(scratch, "config.yaml");
      writeFileSync(file, `${text}\n`);
      loadConfig(file, scratch);
    } else parseYaml(text);
    return null;
  } catch (error) {
    return (error as Error).message.split("\n")[0] ?? "invalid";
  }
}

/** Every problem in one Markdown file's code blocks. */
export async function checkMarkdown(markdown: string): Promise<CheckResult> {
  const result: CheckResult = { problems: [], checked: 0 };
  const scratch = mkdtempSync(join(tmpdir(), "kpm-docs-"));
  try {
    for (const block of codeBlocks(markdown)) {
      const language = block.info[0] ?? "";
      if (language === "sh" || language === "bash" || language === "shell") {
        await checkShell(block, result);
        continue;
      }
      if (language === "template") {
        result.checked++;
        const problem = checkTemplate(block, mkdtempSync(join(scratch, "t-")));
        if (problem !== null) result.problems.push(problem);
      } else if (language === "yaml" || language === "json") {
        result.checked++;
        const problem = checkStructured(block, scratch);
        if (problem !== null)
          result.problems.push({ line: block.line, message: `${block.info.join(" ")}: ${problem}` });
      }
    }
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
  return result;
}
