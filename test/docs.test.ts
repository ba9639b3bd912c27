// The generated reference (docs/README.md, docs/commands/*.md, docs/kpm.1) is what `bun run docs`
// makes from the command definitions today; the man page renders cleanly with every flag and
// example intact; every docs page is indexed and every relative link in the docs resolves.
import { afterAll, describe, expect, test } from "bun:test";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, relative } from "node:path";
import { alignedExamples } from "../apps/kpm/src/cli/usage.ts";
import { flatten, loadCommandTree } from "../apps/kpm/src/completion/model.ts";
import { TOPIC_PAGES } from "../scripts/docs/reference.ts";
import { COMMANDS_DIR, MAN_PAGE, renderDocs } from "../scripts/docs/render.ts";
import { roffEscape, roffInline } from "../scripts/docs/roff.ts";
import { pageCommands } from "../scripts/docs/tree.ts";

const ROOT = join(import.meta.dir, "..");
const scratch = mkdtempSync(join(tmpdir(), "kpm-docs-gen-"));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

const STALE = "is out of date: run bun run docs";

describe("generated docs", () => {
  test("docs/README.md, docs/commands/ and docs/kpm.1 match the command definitions", async () => {
    const files = await renderDocs();
    const stale: string[] = [];
    for (const [path, content] of files) {
      const onDisk = existsSync(join(ROOT, path)) ? readFileSync(join(ROOT, path), "utf8") : null;
      if (onDisk !== content) stale.push(`${path} ${STALE}`);
    }
    for (const name of readdirSync(join(ROOT, COMMANDS_DIR))) {
      if (!files.has(`${COMMANDS_DIR}/${name}`))
        stale.push(`${COMMANDS_DIR}/${name} is not generated: run bun run docs`);
    }
    expect(stale).toEqual([]);
  });

  test("bun run docs --out writes the same files elsewhere", async () => {
    const run = Bun.spawnSync([process.execPath, join(ROOT, "scripts/gen-docs.ts"), "--out", scratch], {
      stdout: "pipe",
      stderr: "pipe",
    });
    expect(run.exitCode).toBe(0);
    for (const [path, content] of await renderDocs())
      expect(readFileSync(join(scratch, path), "utf8")).toBe(content);
  });

  test("a new command that is on no page stops the generator, naming it", async () => {
    const tree = await loadCommandTree();
    const version = tree.find((spec) => spec.path[0] === "version");
    if (!version) throw new Error("no version command");
    expect(() => pageCommands([...tree, { ...version, path: ["frobnicate"] }])).toThrow(
      "kpm frobnicate: on no docs page; add it to COMMAND_PAGES in scripts/docs/pages.ts",
    );
    expect(pageCommands(tree).length).toBeGreaterThan(0);
  });

  test("every visible command, flag and example is in the reference pages", async () => {
    const pages = [...(await renderDocs()).entries()].filter(([path]) => path.startsWith(`${COMMANDS_DIR}/`));
    const text = pages.map(([, content]) => content).join("\n");
    for (const spec of flatten(await loadCommandTree())) {
      if (spec.aliasOf !== undefined) continue;
      const name = ["kpm", ...spec.path].join(" ");
      expect(text).toContain(`\n## ${name}\n`);
      for (const flag of spec.flags) expect(text).toContain(`\`--${flag.name}`);
      for (const line of alignedExamples(spec.examples)) expect(text).toContain(`\n${line}\n`);
    }
  });
});

const groff = Bun.which("groff");

describe("man page", () => {
  test.skipIf(groff === null)(
    "renders without warnings; commands, flags and examples print as typed",
    async () => {
      const render = Bun.spawnSync(["groff", "-man", "-Tutf8", "-ww", "-P-cbou", join(ROOT, MAN_PAGE)], {
        stdout: "pipe",
        stderr: "pipe",
        env: { ...process.env, MANWIDTH: "200" },
      });
      expect(render.stderr.toString()).toBe("");
      expect(render.exitCode).toBe(0);
      const text = render.stdout.toString();
      for (const heading of [
        "NAME",
        "SYNOPSIS",
        "DESCRIPTION",
        "COMMANDS",
        "ENVIRONMENT",
        "FILES",
        "EXIT STATUS",
        "SEE ALSO",
      ])
        expect(text).toContain(`\n${heading}\n`);
      for (const spec of flatten(await loadCommandTree())) {
        if (spec.aliasOf !== undefined) continue;
        // Examples keep ASCII hyphen-minus and backslashes, so they can be copied into a shell.
        for (const line of alignedExamples(spec.examples)) expect(text).toContain(line);
        for (const flag of spec.flags.filter((each) => !each.global))
          expect(text).toContain(`--${flag.name}`);
      }
    },
  );

  test("roff escaping: requests, backslashes, hyphens and non-ASCII", () => {
    expect(roffEscape(".env.template")).toBe("\\&.env.template");
    expect(roffEscape("'quoted' start")).toBe("\\&'quoted' start");
    expect(roffEscape("a\\b --flag")).toBe("a\\eb \\-\\-flag");
    expect(roffEscape("✓ — …")).toBe("\\[u2713] \\(em ...");
    expect(roffEscape("x\n.y")).toBe("x\n\\&.y");
    expect(roffInline("use `kpm run --secure` now")).toBe("use \\fBkpm run \\-\\-secure\\fR now");
  });
});

describe("docs index and links", () => {
  const topics = readdirSync(join(ROOT, "docs")).filter(
    (name) => name.endsWith(".md") && name !== "README.md",
  );

  test("every docs page is in the index and linked from the README, and every indexed page exists", () => {
    const indexed = TOPIC_PAGES.map((topic) => topic.term);
    expect(indexed.toSorted()).toEqual(topics.toSorted());
    const readme = readFileSync(join(ROOT, "README.md"), "utf8");
    const unlinked = [...topics, "README.md", "commands/README.md"].filter(
      (page) => !readme.includes(`(docs/${page}`),
    );
    expect(unlinked).toEqual([]);
  });

  test("relative links in README.md and docs/ point at files that exist", () => {
    const files = [join(ROOT, "README.md"), ...markdownFiles(join(ROOT, "docs"))];
    const broken: string[] = [];
    for (const file of files) {
      for (const match of readFileSync(file, "utf8").matchAll(/\]\(([^)\s]+)\)/g)) {
        const target = (match[1] ?? "").split("#")[0] ?? "";
        if (target.includes("shared/"))
          broken.push(`${relative(ROOT, file)}: ${match[1]} is outside the repository`);
        if (target === "" || /^[a-z]+:/.test(target)) continue;
        if (!existsSync(join(dirname(file), target))) broken.push(`${relative(ROOT, file)}: ${match[1]}`);
      }
    }
    expect(broken).toEqual([]);
  });
});

function markdownFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return markdownFiles(path);
    return entry.name.endsWith(".md") ? [path] : [];
  });
}
