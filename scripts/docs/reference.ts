// Reference text shared by the man page and docs/commands/README.md: one copy, two renderings.
// The only markup is `code` (backticks): Markdown keeps it, roff turns it into bold.
// biome-ignore-all lint/suspicious/noTemplateCurlyInString: the text spells ${kms:…} references literally

export const NAME_LINE = "secrets CLI for developers and AI coding agents, backed by AgentKMS";

export const DESCRIPTION: string[] = [
  "kpm resolves `.env`-style templates whose values are references (`${kms:llm/anthropic}`, " +
    "`${kms:kv/db/prod#password}`, `${kms:cloudflare/dns-token}`) against an AgentKMS server over " +
    "mutual TLS, and hands each secret only to the process that needs it.",
  "`kpm env` puts ciphertext in a shell and starts a private listener that decrypts it just in time; " +
    "`kpm run -- tool` gives one command plaintext for its lifetime; `--strict` makes every decrypt a " +
    "policy-checked, audited AgentKMS request; `--secure` gives an AI agent only the variables its " +
    "allow-list names. `kpm quickstart` starts an embedded AgentKMS-compatible dev server, so kpm works " +
    "on a fresh machine with nothing else installed.",
  "Help that is asked for (`kpm help`, `--help`) goes to stdout; errors go to stderr as one line and " +
    "at most one hint line.",
];

export interface Term {
  term: string;
  text: string;
}

export const ENVIRONMENT: Term[] = [
  {
    term: "KPM_CONFIG",
    text:
      "The config directory `<ConfigDir>` (a directory, not a file; `--config` names a file). Default: " +
      "`$XDG_CONFIG_HOME/kpm`, else `~/.config/kpm`, else a legacy `~/.kpm` that holds `config.yaml`.",
  },
  {
    term: "KPM_DATA",
    text:
      "The data directory `<DataDir>` (certificates, the trust store). Default: `$XDG_DATA_HOME/kpm`, " +
      "else `~/.local/share/kpm`, else a legacy `~/.kpm` that holds `certs/`.",
  },
  {
    term: "XDG_CONFIG_HOME, XDG_DATA_HOME",
    text: "Bases of `<ConfigDir>` and `<DataDir>` when they are absolute paths.",
  },
  {
    term: "XDG_RUNTIME_DIR, TMPDIR",
    text:
      "`<RuntimeDir>`, where listener sockets, session records and debug logs live: " +
      "`$XDG_RUNTIME_DIR/kpm`, else `$TMPDIR/kpm-<uid>`. It must be private (0700, owned by you).",
  },
  {
    term: "KPM_PROJECT_DIR",
    text: "The project whose `.kpm/secure-allowlist.yaml` `kpm run --secure` reads (default: the current directory).",
  },
  {
    term: "KPM_AUDIT_LOG",
    text: "Append one JSON line per `kpm run --secure` decision to this file (overrides the `audit_log` key).",
  },
  {
    term: "KPM_DEBUG",
    text:
      "`1` adds stack traces to errors, as `--verbose` does, and has listeners write a value-free " +
      "debug log to `<RuntimeDir>/<sid>.log`.",
  },
  {
    term: "KPM_NO_AGENT",
    text: "`1` turns the per-user agent off for this process and its children, like `agent: false` ([agent](../agent.md)).",
  },
  {
    term: "AGENTKMS_DIR",
    text: "The dev server's directory for `kpm dev` and `kpm quickstart` (default `~/.agentkms/dev`).",
  },
  {
    term: "KPM_SESSION, KPM_DECRYPT_SOCK, KPM_TEMPLATE",
    text:
      "Set by `kpm env`: the session id, its listener's socket and the template that was loaded. " +
      "`kpm run` uses them in env-scan mode; `--secure` removes them from the child's environment.",
  },
  {
    term: "KPM_LOADED",
    text: "Set to `1` by the `kpm shell-init` hook when it loaded something.",
  },
  {
    term: "SHELL",
    text: "The default shell of `kpm shell-init`; fish syntax for `kpm env --unload`.",
  },
  {
    term: "HTTPS_PROXY",
    text: "Ignored: kpm talks to the configured AgentKMS server directly, never through a proxy.",
  },
];

export const FILES: Term[] = [
  { term: "<ConfigDir>/config.yaml", text: "The config file (`kpm init`, `kpm quickstart`)." },
  {
    term: "<ConfigDir>/templates/",
    text: "`<TemplatesDir>`: your templates; `shell-env.template` is what `kpm shell-init` loads.",
  },
  { term: "<ConfigDir>/secure-allowlist.yaml", text: "Your allow-list for `kpm run --secure`." },
  { term: "<DataDir>/certs/", text: "Client certificate, key and CA that `kpm quickstart` copies there." },
  { term: "<DataDir>/trust.json", text: "The project trust store (`kpm trust`), mode 0600." },
  {
    term: "<RuntimeDir>/<sid>.sock, <sid>.json, <sid>.log",
    text: "A session's listener socket, its record, and its `KPM_DEBUG=1` log.",
  },
  {
    term: "<RuntimeDir>/agent.sock, agent.pid",
    text: "The per-user agent's socket (0600) and process id, while it runs.",
  },
  {
    term: ".kpm/templates/, .kpm/secure-allowlist.yaml, .kpm/config.yaml",
    text: "A project's templates, allow-list and profile values: used only once `kpm trust` recorded them.",
  },
  {
    term: "~/.agentkms/dev/",
    text:
      "The dev server's directory: `ca.crt`, `server.crt`, `clients/<cn>/`, the encrypted store " +
      "`secrets.enc`, `audit.ndjson`, and `server.json` while it runs.",
  },
];

export const EXIT_STATUS: Term[] = [
  { term: "0", text: "Success, and help that was asked for." },
  {
    term: "1",
    text: "The command ran and failed: server unreachable, secret not found, policy denial, a bad file or value.",
  },
  { term: "2", text: "A usage error: an unknown command or flag, a missing argument, conflicting flags." },
  {
    term: "other",
    text: "`kpm run` exits with the child's status (128+N when a signal N killed it; 126 or 127 when it cannot start).",
  },
];

/** The topic pages, for SEE ALSO and the docs index (file under docs/, one line). */
export const TOPIC_PAGES: Term[] = [
  {
    term: "templates.md",
    text: "The template language: references, `#key`, `:-default`, includes, profiles, discovery.",
  },
  {
    term: "secrets.md",
    text: "Where secrets live (registry `service/name`, credential store `llm/…`, `kv/…`) and how to store one.",
  },
  { term: "config.md", text: "The config file: every key with its default, directories, errors." },
  { term: "allowlist.md", text: "The `--secure` allow-list: format, pins, matching, audit." },
  {
    term: "broker.md",
    text: "Brokered credentials: the tool holds a placeholder, a per-run proxy adds the key for declared hosts.",
  },
  {
    term: "scan.md",
    text: "`kpm scan` and `kpm import`: sources, rules, output formats, exit codes, hook, CI, import.",
  },
  { term: "trust.md", text: "Project trust: which project files need `kpm trust`, the trust store." },
  {
    term: "security.md",
    text: "The security model: threats, what each defence does and does not protect against.",
  },
  { term: "sessions.md", text: "Session listeners: who owns them, when they stop, `--unload`." },
  {
    term: "agent.md",
    text: "The per-user agent: what it holds, the trade-off of its cache, revocation, how to turn it off.",
  },
  { term: "commands.md", text: "Help, exit codes, error messages and output details." },
  { term: "agentkms.md", text: "AgentKMS compatibility and differences from Go kpm." },
  { term: "dev-server.md", text: "The embedded dev server's limits and timeouts." },
  { term: "doctor.md", text: "`kpm doctor`: every check and its fix." },
  { term: "limits.md", text: "Size caps on every file and stream kpm reads." },
  { term: "development.md", text: "Building, testing, benchmarks and the repository layout." },
  { term: "architecture.md", text: "The packages, their files and one-line roles." },
];
