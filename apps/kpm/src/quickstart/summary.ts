// The summary quickstart ends with. Its "Try these" commands must work as printed, from where
// quickstart ran: spelled the way this shell finds this kpm, and `kpm run -- printenv DB_HOST`
// only where the project template is the one kpm run would pick.
import { realpathSync } from "node:fs";
import { basename, dirname, join, relative } from "node:path";
import { shellWord } from "../env-output.ts";
import { hasActiveSession } from "../managed-env.ts";
import type { Dirs, Env } from "../paths.ts";
import { isCompiled } from "../self.ts";

/** The project template quickstart wrote or kept. */
export interface ProjectTemplate {
  path: string;
  /** It holds the demo content (DB_HOST and friends). */
  demo: boolean;
  /** The trust store has this content for it, so kpm uses it without `--from`. */
  trusted: boolean;
}

export interface SummaryInput {
  addr: string;
  pid: number | undefined;
  stopHint: string;
  configPath: string;
  dirs: Dirs;
  cwd: string;
  env: Env;
  /** The default_template of the config in effect. */
  defaultTemplate: string;
  projectTemplate: ProjectTemplate | null;
}

export function summaryLines(input: SummaryInput): string[] {
  const shellEnv = join(input.dirs.templatesDir, "shell-env.template");
  const self = kpmAsTyped(input.env);
  const kpm = self.word;
  const lines = [
    "",
    "KPM quickstart complete!",
    `  Server:     https://${input.addr}`,
    `  Server PID: ${input.pid ?? "unknown"}  (stop with: ${kpm} dev stop${input.stopHint})`,
    `  Config:     ${input.configPath}`,
    `  Certs:      ${input.dirs.certsDir}`,
    "",
  ];
  if (self.note) lines.push(`  ${self.note}`, "");
  lines.push(
    "  Try these:",
    `    ${kpm} tree`,
    `    ${kpm} env --from ${shellWord(shellEnv)}`,
    `    ${kpm} env --from ${shellWord(shellEnv)} --plaintext`,
  );
  const run = projectRun(input, kpm);
  if (run) lines.push(`    ${run}`);
  lines.push(
    "",
    self.word === "kpm"
      ? "  Load secrets in every new shell:"
      : "  Load secrets in every new shell (the hook runs kpm by name: put it on your PATH first):",
    '    bash/zsh:  eval "$(kpm shell-init)"',
    "    fish:      kpm shell-init --shell fish | source",
  );
  return lines;
}

/**
 * The demo run of the project template. Without --from it works only where kpm run picks that
 * file: no session in this shell (env-scan mode would win), default_template `.env.template`,
 * and a trusted file. Otherwise naming it with --from works (a named file needs no trust).
 */
function projectRun(input: SummaryInput, kpm: string): string | null {
  const project = input.projectTemplate;
  if (project === null || !project.demo) return null;
  const automatic =
    project.trusted && input.defaultTemplate === ".env.template" && !hasActiveSession(input.env);
  if (automatic) return `${kpm} run -- printenv DB_HOST`;
  const from = relative(input.cwd, project.path);
  return `${kpm} run --from ${shellWord(from.startsWith("..") ? project.path : from)} -- printenv DB_HOST`;
}

/**
 * How this shell reaches the running kpm: `kpm` when that name on PATH is this very program
 * (the binary, or the script of a source or npm install, whose shebang starts Bun), else its full
 * path, with a note saying why.
 */
export function kpmAsTyped(env: Env): { word: string; note: string | null } {
  const self = isCompiled() ? process.execPath : Bun.main;
  const found = Bun.which("kpm", { PATH: env.PATH ?? "" });
  if (found !== null && realPath(found) === realPath(self)) return { word: "kpm", note: null };
  const word = shellWord(self);
  if (found !== null)
    return { word, note: `The kpm on your PATH (${found}) is another program; these use this one.` };
  // Only a binary named kpm becomes `kpm` by putting its directory on PATH.
  const fix = basename(self) === "kpm" ? `; add ${dirname(self)} to PATH to type kpm` : "";
  return { word, note: `kpm is not on your PATH, so these use its full path${fix}.` };
}

function realPath(path: string): string {
  try {
    return realpathSync(path);
  } catch {
    return path;
  }
}
