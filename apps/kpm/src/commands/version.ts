// `kpm version` (§3.4): stdout `kpm <version> (commit <c>, built <date>)`, as `--version`.
import { defineKpmCommand } from "../cli/command.ts";
import { writeStdout } from "../cli/io.ts";
import { versionLine } from "../version.ts";

export default defineKpmCommand({
  meta: { name: "version", description: "Print the version" },
  examples: [{ command: "kpm version" }],
  run: async () => {
    await writeStdout(`${versionLine()}\n`);
    return 0;
  },
});
