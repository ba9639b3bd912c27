// `kpm doctor [--json]`: checks config, PEM files, the server, this shell's listeners and the
// allow-list; one line each with a fix for what is broken; exit 1 when something is.
import { defineKpmCommand } from "../cli/command.ts";
import { writeStdout } from "../cli/io.ts";
import { jsonArg } from "./_shared.ts";

export default defineKpmCommand({
  meta: { name: "doctor", description: "Check config, certificates, server, listeners and allow-list" },
  usage: "[--json]",
  args: { ...jsonArg },
  notes: [
    "Prints one line per check: ✓ ok, ! warning, ✗ broken (with a fix), - not checked.",
    "Exits 1 when a check is broken; warnings (e.g. a certificate expiring within 30 days) do not fail.",
  ],
  examples: [
    { command: "kpm doctor" },
    { command: "kpm doctor --json | jq '.[] | select(.ok | not)'", about: "only what is not ok" },
  ],
  // The config check reports a broken KPM_CONFIG itself instead of the run stopping on it.
  preparesContext: true,
  run: async ({ args, data: ctx }) => {
    const [{ doctorExitCode, runDoctor }, { renderJson, renderLine }] = await Promise.all([
      import("../doctor/run-checks.ts"),
      import("../doctor/render.ts"),
    ]);
    const results = await runDoctor(ctx);
    await writeStdout(args.json ? renderJson(results) : `${results.map(renderLine).join("\n")}\n`);
    return doctorExitCode(results);
  },
});
