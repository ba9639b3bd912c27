// Child-process entry for permission tests: runs one library call and prints the outcome
// as JSON on stdout. Run as `nobody` (setpriv) so root's bypass of file modes is gone.

import { loadProfiles, loadTemplate, summarizeTemplateDir, TemplateError } from "../../src/index.ts";

const [operation = "", argument = "", extra = ""] = process.argv.slice(2);

function run(): unknown {
  switch (operation) {
    case "load":
      return loadTemplate(argument, { cwd: extra, templatesDir: `${extra}/user`, profile: new Map() });
    case "summary":
      return summarizeTemplateDir(argument);
    case "profiles": {
      const { values, warnings } = loadProfiles({ cwd: argument, globalConfigPath: extra });
      return { values: Object.fromEntries(values), warnings };
    }
    default:
      throw new Error(`unknown operation ${operation}`);
  }
}

try {
  console.log(JSON.stringify({ result: run() }));
} catch (error) {
  if (!(error instanceof TemplateError)) throw error;
  console.log(JSON.stringify({ error: { code: error.code, message: error.message } }));
}
