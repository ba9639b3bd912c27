// Env-scan mode wins over templates whenever this shell has a session (§8.2), so a project
// template the user expected kpm run to use is silently not used. This says which file was
// passed over. It runs on env-scan's hot path: lstat through libc, no node:fs, node:path or
// template code (the files are not read, trusted or parsed; only their presence counts).
import { lstatIfPresent } from "@kpm/libc";
import { childPath, findProjectDir } from "@kpm/template/project-dir";
import { shellWord } from "../env-output.ts";

/**
 * The project template kpm run would have used without the session: `<tool>.template` in the
 * project's `.kpm/templates` (discovery), else the default template under its default name,
 * `.env.template`, in the current directory or the project's `.kpm/templates`. The config is not
 * read (that costs a YAML parse), so a configured default_template of another name is not named.
 */
export function passedOverTemplate(cwd: string, tool: string): string | null {
  const templates = childPath(childPath(findProjectDir(cwd), ".kpm"), "templates");
  const candidates = [childPath(cwd, ".env.template"), childPath(templates, ".env.template")];
  // A tool name that is no file name (".", "..") discovers nothing.
  if (tool !== "" && tool !== "." && tool !== "..")
    candidates.unshift(childPath(templates, `${tool}.template`));
  return candidates.find((path) => lstatIfPresent(path) !== null) ?? null;
}

/** `kpm: using this shell's session (env-scan); ignoring <path> — use --from <path> to use it instead` */
export function passedOverLine(path: string): string {
  const word = shellWord(path);
  return `kpm: using this shell's session (env-scan); ignoring ${word} — use --from ${word} to use it instead`;
}
