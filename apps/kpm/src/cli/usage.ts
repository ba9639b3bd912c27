// Usage texts (§3.4): the top-level usage verbatim, and per-command usage rendered from args.
import type { ArgsDef } from "citty";
import type { CommandExample, KpmCommand } from "./command.ts";

export function topLevelUsage(configPath: string, templatesDir: string): string {
  return `kpm — secure secrets CLI backed by AgentKMS

Usage:
  kpm quickstart                    Start a local AgentKMS dev server and configure kpm
  kpm shell-init                    Print the shell hook that loads encrypted secrets
  kpm add <service/name>            Store a secret (prompt, stdin or --from-file)
  kpm list [service]                List secrets (metadata only)
  kpm describe <service/name>       Show a secret's metadata
  kpm history <service/name>        Show a secret's version history
  kpm remove <service/name>         Delete a secret (--purge removes all versions)
  kpm env [flags]                   Print env lines for a template (alias: export)
  kpm run [flags] -- <cmd> [args]   Run a command with its secrets injected
  kpm get <ref>                     Print one secret value
  kpm decrypt [--env VAR | <blob>]  Decrypt one ENC[...] value via the session listener
  kpm init                          Write a starter config file
  kpm tree                          Show the template hierarchy
  kpm show [VAR_NAME] [--profile]   Show kpm-managed variables (never values)
  kpm profile                       Show merged profile variables
  kpm trust [dir]                   Let kpm use a project's .kpm files (--list shows them)
  kpm untrust [dir]                 Stop using a project's .kpm files
  kpm allow <tool>                  Pin a tool in your --secure allow-list
  kpm scan [paths…]                 Find exposed secrets in files (redacted report)
  kpm import <file>                 Move a .env file's secrets into AgentKMS (writes a template)
  kpm config push [dir]             Upload templates to AgentKMS
  kpm config pull [dir]             Download templates from AgentKMS
  kpm dev <command>                 Embedded AgentKMS dev server (serve, enroll, secrets, stop, status)
  kpm completion <shell>            Print shell completion (bash, zsh, fish)
  kpm version                       Print the version

Global flags (before or after the command):
  --config <path>   Config file (default: ${configPath})
  --server <url>    AgentKMS server URL
  --cert <path>     Client certificate
  --key <path>      Client private key
  --ca <path>       CA certificate
  --verbose, -v     Debug output (never prints secrets)

Examples:
  kpm add cloudflare/dns-token
  echo "sk-xxx" | kpm add anthropic/api-key
  kpm list
  kpm list --tag ci
  eval "$(kpm env --from ${templatesDir}/shell-env.template --output shell)"
  kpm run --secure -- claude
`;
}

function flagLines(args: ArgsDef): string[] {
  const rows: Array<[string, string]> = [];
  for (const [name, def] of Object.entries(args)) {
    if (def.type === "positional") continue;
    const aliases = "alias" in def && def.alias ? (Array.isArray(def.alias) ? def.alias : [def.alias]) : [];
    const value = def.type === "boolean" ? "" : ` <${def.valueHint ?? "value"}>`;
    const names = [`--${name}${value}`, ...aliases.map((alias) => `-${alias}`)].join(", ");
    rows.push([names, def.description ?? ""]);
  }
  const width = Math.max(0, ...rows.map(([names]) => names.length));
  return rows.map(([names, description]) => `  ${names.padEnd(width)}  ${description}`.trimEnd());
}

export function commandUsage(fullName: string, command: KpmCommand): string {
  const meta = (command.meta ?? {}) as { description?: string };
  const lines = [`Usage: kpm ${fullName}${command.usage ? ` ${command.usage}` : ""}`, ""];
  if (meta.description) lines.push(meta.description, "");
  const args = (command.args ?? {}) as ArgsDef;
  const own = flagLines(args);
  if (own.length > 0) lines.push("Flags:", ...own, "");
  if (command.notes && command.notes.length > 0) lines.push(...command.notes, "");
  if (command.examples && command.examples.length > 0)
    lines.push("Examples:", ...exampleLines(command.examples), "");
  lines.push("Global flags: --config, --server, --cert, --key, --ca, --verbose (-v)");
  return `${lines.join("\n")}\n`;
}

function exampleLines(examples: readonly CommandExample[]): string[] {
  return alignedExamples(examples).map((line) => `  ${line}`);
}

/** `kpm list --tag ci   # only secrets tagged ci`, the comments aligned (help, man page, docs). */
export function alignedExamples(examples: readonly CommandExample[]): string[] {
  const width = Math.max(
    ...examples.filter((example) => example.about).map((example) => example.command.length),
    0,
  );
  return examples.map(({ command, about }) => (about ? `${command.padEnd(width)}   # ${about}` : command));
}
