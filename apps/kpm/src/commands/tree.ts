// `kpm tree` (§12.1): the three template levels and what each template references, subdirectories
// (`ai/claude.template`) included. An untrusted project template is listed as `(untrusted)`, its
// content not shown (docs/trust.md).
import { resolve } from "node:path";
import { projectTemplatesDir, summarizeTemplateDir, type TrustGate } from "@kpm/template/core";
import { defineKpmCommand } from "../cli/command.ts";
import { writeStdout } from "../cli/io.ts";
import { plural } from "../cli/text.ts";
import { projectTrust } from "../project-trust.ts";

const ENTERPRISE_DIR = "/etc/catalyst9/.kpm/templates";

export default defineKpmCommand({
  meta: { name: "tree", description: "Show the template hierarchy" },
  examples: [{ command: "kpm tree" }],
  run: async ({ data: ctx }) => {
    const levels: Array<[string, string]> = [
      ["Enterprise", ENTERPRISE_DIR],
      ["User", ctx.dirs.templatesDir],
      ["Project", projectTemplatesDir(resolve(ctx.cwd))],
    ];
    const trust = projectTrust(ctx);
    const gate: TrustGate = (file, bytes) => {
      const projectDir = trust.projectDirOfTemplate(file);
      return projectDir === null || trust.allows(projectDir, file, bytes, "skip");
    };
    const seen = new Set<string>();
    const blocks: string[] = [];
    for (const [label, dir] of levels) {
      const absolute = resolve(dir);
      if (seen.has(absolute)) continue;
      seen.add(absolute);
      blocks.push(renderLevel(label, absolute, gate));
    }
    await writeStdout(`${blocks.join("\n")}`);
    return 0;
  },
});

function renderLevel(label: string, dir: string, gate: TrustGate): string {
  const lines = [`${label}: ${dir}`];
  const summary = summarizeTemplateDir(dir, gate);
  if ("missing" in summary) {
    lines.push("  (no templates found)");
  } else if ("error" in summary) {
    lines.push(`  (error: ${summary.error})`);
  } else if (summary.entries.length === 0) {
    lines.push("  (no templates found)");
  } else {
    for (const entry of summary.entries) {
      const name = entry.name.padEnd(25);
      if ("error" in entry) {
        lines.push(`  ${name} (invalid: ${entry.error})`);
      } else if ("untrusted" in entry) {
        lines.push(`  ${name} (untrusted)`);
      } else if ("unreadable" in entry) {
        lines.push(`  ${name} (error: ${entry.unreadable})`);
      } else {
        // Includes are counted as includes: they pull in other templates' secrets, not one secret.
        const includes = entry.includes > 0 ? `, ${plural(entry.includes, "include")}` : "";
        lines.push(`  ${name} ${plural(entry.count, "secret")}${includes} [${entry.refs.join(", ")}]`);
      }
    }
  }
  return `${lines.join("\n")}\n`;
}
