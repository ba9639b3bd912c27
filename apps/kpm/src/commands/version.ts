// `kpm version` (§3.4): stdout `kpm <version>`.
import { defineKpmCommand } from "../cli/command.ts";
import { writeStdout } from "../cli/io.ts";
import { version } from "../version.ts";

export default defineKpmCommand({
  meta: { name: "version", description: "Print the version" },
  run: async () => {
    await writeStdout(`kpm ${version}\n`);
    return 0;
  },
});
