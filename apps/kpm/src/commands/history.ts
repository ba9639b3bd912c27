// `kpm history <service/name> [--json]` (§11.4): version history, newest first.
import { defineKpmCommand } from "../cli/command.ts";
import { writeStdout } from "../cli/io.ts";
import { padChars, plural } from "../cli/text.ts";
import { call, jsonArg, requirePath } from "./_shared.ts";

export default defineKpmCommand({
  meta: { name: "history", description: "Show a secret's version history" },
  examples: [{ command: "kpm history cloudflare/dns-token" }],
  usage: "<service/name> [--json]",
  args: { ...jsonArg },
  run: async ({ args, data: ctx }) => {
    const path = requirePath(args._, "history");
    const client = await ctx.client({ viaAgent: true });
    const history = await call((c) => c.history(path), client);
    const versions = history.versions ?? [];
    const newestFirst = [...versions].reverse();
    if (args.json) {
      const out = {
        path,
        versions: newestFirst.map((entry, index) => ({
          version: entry.version,
          created: entry.created ?? "",
          current: index === 0,
        })),
      };
      await writeStdout(`${JSON.stringify(out, null, 2)}\n`);
      return 0;
    }
    if (versions.length === 0) {
      await writeStdout(`${path} — no version history\n`);
      return 0;
    }
    const lines = [`${path} — ${plural(versions.length, "version")}`, ""];
    newestFirst.forEach((entry, index) => {
      const line = `  v${padChars(String(entry.version), 3)} ${entry.created ?? ""}  ${padChars(entry.caller ?? "", 12)}${index === 0 ? " (current)" : ""}`;
      lines.push(line.trimEnd());
    });
    await writeStdout(`${lines.join("\n")}\n`);
    return 0;
  },
});
