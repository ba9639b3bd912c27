// The places agents read secrets from, beyond a source tree: shell history files, MCP and agent
// configs with their transcript folders, and the environments of this user's processes.
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";

/** Shell and REPL history files under home ($HISTFILE first when set), those that exist. */
export function historyFiles(home: string, histfile?: string): string[] {
  const candidates = [
    ...(histfile ? [histfile] : []),
    ".bash_history",
    ".zsh_history",
    ".zhistory",
    ".sh_history",
    ".local/share/fish/fish_history",
    ".python_history",
    ".node_repl_history",
    ".psql_history",
    ".mysql_history",
    ".sqlite_history",
    ".rediscli_history",
  ].map((path) => (path.startsWith("/") ? path : join(home, path)));
  return unique(candidates.filter(isFile));
}

/**
 * MCP/agent configuration files (project and user level) and transcript folders, those that
 * exist: the files are scanned whole, the folders walked.
 */
export function agentLocations(home: string, cwd: string): { files: string[]; folders: string[] } {
  const files = [
    join(cwd, ".mcp.json"),
    join(cwd, ".cursor/mcp.json"),
    join(cwd, ".vscode/mcp.json"),
    join(cwd, ".claude/settings.json"),
    join(cwd, ".claude/settings.local.json"),
    join(home, ".claude.json"),
    join(home, ".claude/settings.json"),
    join(home, ".cursor/mcp.json"),
    join(home, ".codex/config.toml"),
    join(home, ".gemini/settings.json"),
    join(home, ".codeium/windsurf/mcp_config.json"),
    join(home, ".config/Claude/claude_desktop_config.json"),
    join(home, "Library/Application Support/Claude/claude_desktop_config.json"),
  ];
  const folders = [join(home, ".claude/projects"), join(home, ".codex/sessions"), join(home, ".gemini/tmp")];
  return {
    files: unique(files.filter(isFile)),
    folders: unique(folders.filter((path) => existsSync(path) && statSync(path).isDirectory())),
  };
}

export interface ProcessEnvironment {
  pid: number;
  /** The command name (/proc/<pid>/comm). */
  command: string;
  /** NAME=value entries as the process was started with them. */
  entries: string[];
}

/**
 * The start-up environments of this user's other processes (Linux /proc; empty elsewhere).
 * Processes of other users are skipped even when readable (root reads them all).
 */
export function otherProcessEnvironments(procRoot = "/proc"): ProcessEnvironment[] {
  const uid = process.getuid?.();
  if (uid === undefined || !existsSync(procRoot)) return [];
  const environments: ProcessEnvironment[] = [];
  for (const name of readdirSync(procRoot)) {
    if (!/^\d+$/.test(name)) continue;
    const pid = Number(name);
    if (pid === process.pid) continue;
    try {
      if (statSync(join(procRoot, name)).uid !== uid) continue;
      const raw = readFileSync(join(procRoot, name, "environ"), "utf8");
      const command = readFileSync(join(procRoot, name, "comm"), "utf8").trim();
      environments.push({ pid, command, entries: raw.split("\0").filter((entry) => entry.includes("=")) });
    } catch {
      // gone, a kernel thread, or not readable: nothing to report
    }
  }
  return environments;
}

function isFile(path: string): boolean {
  try {
    return statSync(path).isFile();
  } catch {
    return false;
  }
}

function unique(paths: string[]): string[] {
  return [...new Set(paths)];
}
