// `kpm allow <tool> [--path-only]` (docs/allowlist.md, "Tool settings"): pin the tool currently on
// PATH in the user's own allow-list — its path, and its content's sha256 — so `kpm run --secure`
// refuses any other program under that name. Comments and other entries stay; the file is
// replaced atomically with mode 0600.
import { defineKpmCommand } from "../cli/command.ts";
import { CliError, UsageError } from "../cli/errors.ts";

export default defineKpmCommand({
  meta: { name: "allow", description: "Pin a tool in your --secure allow-list" },
  examples: [
    { command: "kpm allow claude", about: "pin the claude on your PATH: its path and sha256" },
    { command: "kpm allow codex --path-only", about: "pin the path only (updates keep working)" },
  ],
  usage: "<tool> [--path-only]",
  args: {
    "path-only": { type: "boolean", description: "Pin the path, not the content (removes a sha256 pin)" },
  },
  run: async ({ args, data: ctx }) => {
    const [command, ...rest] = args._;
    if (command === undefined || command === "") throw new UsageError("kpm allow: no tool specified");
    if (rest.length > 0) throw new UsageError("kpm allow: exactly one tool");
    const { basename, join, resolve } = await import("node:path");
    // Absolute even when PATH holds a relative directory: a pin names one file.
    const onPath = command.includes("/")
      ? command
      : Bun.which(command, { PATH: ctx.env.PATH ?? "", cwd: ctx.cwd });
    if (onPath === null) throw new CliError(`kpm allow: ${command}: executable file not found in $PATH`);
    const found = resolve(ctx.cwd, onPath);
    const tool = basename(command);
    const allowlist = await import("@kpm/allowlist");
    const checked = allowlist.checkToolPins([], found);
    if (!checked.ok) throw new CliError(`kpm allow: ${command}: ${checked.problem}`);
    let sha256: string | undefined;
    if (args["path-only"] !== true) {
      try {
        sha256 = allowlist.fileSha256(checked.realPath);
      } catch (error) {
        const code = (error as NodeJS.ErrnoException).code ?? "error";
        throw new CliError(`kpm allow: cannot read ${checked.realPath} (${code})`);
      }
    }
    const file = join(ctx.dirs.configDir, "secure-allowlist.yaml");
    const { existsSync, mkdirSync } = await import("node:fs");
    const text = existsSync(file) ? new TextDecoder().decode(readOrFail(allowlist, file)) : "";
    let updated: string;
    try {
      updated = allowlist.pinToolInAllowlist(text, file, tool, { path: found, sha256 });
    } catch (error) {
      if (error instanceof allowlist.AllowlistError) throw new CliError(error.message);
      throw error;
    }
    mkdirSync(ctx.dirs.configDir, { recursive: true, mode: 0o700 });
    const { writeUnlessPresent } = await import("../quickstart/files.ts");
    writeUnlessPresent(file, updated, 0o600, true);
    const what = sha256 === undefined ? found : `${found}, sha256 ${sha256}`;
    ctx.log.info(`✓ pinned ${tool} to ${what} in ${file}`);
    return 0;
  },
});

/** The list's bytes through the allow-list's own bounded reader (regular file, ≤ 1 MiB). */
function readOrFail(allowlist: typeof import("@kpm/allowlist"), file: string): Uint8Array {
  try {
    return allowlist.readAllowlistBytes(file);
  } catch (error) {
    if (error instanceof allowlist.AllowlistError) throw new CliError(error.message);
    throw error;
  }
}
