// `kpm profile` (§12.2): the merged profile variables and the file each value came from.
import { defineKpmCommand } from "../cli/command.ts";
import { writeStdout } from "../cli/io.ts";
import { loadMergedProfile, renderProfileLines } from "../profile.ts";

//blog:part-3
export default defineKpmCommand({
  meta: { name: "profile", description: "Show merged profile variables" },
  examples: [{ command: "kpm profile", about: "merged .kpm/config.yaml profile values and their files" }],
  run: async ({ data: ctx }) => {
    const values = await loadMergedProfile(ctx);
    if (values.size === 0) {
      ctx.log.info("no profile variables found (checked .kpm/config.yaml up to root + global config)");
      return 0;
    }
    await writeStdout(`${renderProfileLines(values).join("\n")}\n`);
    return 0;
  },
});
