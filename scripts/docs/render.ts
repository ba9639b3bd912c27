// Every generated docs file, by path relative to the repository root: docs/README.md,
// docs/commands/*.md and docs/kpm.1. `bun run docs` writes them; test/docs.test.ts compares them.
import { loadCommandTree } from "../../apps/kpm/src/completion/model.ts";
import { renderManPage } from "./man.ts";
import { renderCommandIndex, renderCommandPage, renderDocsIndex } from "./markdown.ts";
import { pageCommands } from "./tree.ts";

/** The directory every command page is written to (stale files there are an error in the test). */
export const COMMANDS_DIR = "docs/commands";
export const MAN_PAGE = "docs/kpm.1";

export async function renderDocs(): Promise<Map<string, string>> {
  const tree = await loadCommandTree();
  const pages = pageCommands(tree);
  const files = new Map<string, string>();
  files.set("docs/README.md", renderDocsIndex());
  files.set(`${COMMANDS_DIR}/README.md`, renderCommandIndex(pages));
  for (const page of pages) files.set(`${COMMANDS_DIR}/${page.page.file}`, renderCommandPage(tree, page));
  files.set(MAN_PAGE, renderManPage(tree, pages));
  return files;
}
