// `bun run docs`: regenerate docs/README.md, docs/commands/*.md and docs/kpm.1 from the command
// definitions, so the reference cannot drift from `kpm help` and completion. `--out <dir>` writes
// under another root instead of the repository.
import { mkdirSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { COMMANDS_DIR, renderDocs } from "./docs/render.ts";

const outFlag = process.argv.indexOf("--out");
const root = outFlag === -1 ? join(import.meta.dir, "..") : (process.argv[outFlag + 1] ?? ".");
const files = await renderDocs();

// A page that no longer exists in pages.ts must not linger as a stale file.
const commandsDir = join(root, COMMANDS_DIR);
mkdirSync(commandsDir, { recursive: true });
for (const name of readdirSync(commandsDir)) {
  if (!files.has(`${COMMANDS_DIR}/${name}`)) rmSync(join(commandsDir, name));
}
for (const [path, content] of files) {
  mkdirSync(dirname(join(root, path)), { recursive: true });
  writeFileSync(join(root, path), content);
}
console.error(`wrote ${files.size} files under ${root}`);
