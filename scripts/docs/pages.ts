// The command-reference pages: which commands each page documents, and the hand-written prose
// above the generated sections. Every visible command must be on exactly one page (render.ts
// refuses a tree with an unplaced command, so a new command cannot go undocumented).

export interface CommandPage {
  /** File name under docs/commands/. */
  file: string;
  title: string;
  /** One plain sentence: the index line and the man page's group paragraph (`code` allowed). */
  summary: string;
  /** Top-level command names; a group (`dev`, `config`) brings its whole subtree. */
  commands: string[];
  /** Markdown paragraphs for docs/commands/<file> only (links are relative to docs/commands/). */
  intro: string[];
}

export const COMMAND_PAGES: CommandPage[] = [
  {
    file: "registry.md",
    title: "Registry",
    summary:
      "Store `service/name` secrets, show their metadata and versions, remove them, and print one value with `kpm get`.",
    commands: ["add", "list", "describe", "history", "remove", "get"],
    intro: [
      "The registry holds `service/name` secrets with metadata (type, tags, description, expiry) and " +
        "numbered versions. `kpm add` stores a value from a masked prompt, a pipe or a file; `list`, " +
        "`describe` and `history` show metadata, never values; `remove` soft-deletes (or purges).",
      "`kpm get` prints one value: a registry secret (`service/name[#field]`) or a credential-store " +
        "path (`llm/<provider>`, `kv/<path>#<field>`). Where each kind lives and how to store one: " +
        "[where secrets live](../secrets.md).",
    ],
  },
  {
    file: "environments.md",
    title: "Environments",
    summary:
      "Hand a template's secrets to a shell (`kpm env`) or to one process (`kpm run`), inspect a loaded shell, and print the shell hook.",
    commands: ["env", "run", "decrypt", "show", "shell-init"],
    intro: [
      "`kpm env` prints a template's variables for a shell: ciphertext (`ENC[kpm:…]`) that a private " +
        "per-shell listener decrypts just in time, strict references (`--strict`, every decrypt an " +
        "AgentKMS round trip), or plaintext (`--plaintext`). `kpm run` starts one command with " +
        "plaintext for its lifetime only.",
      "`kpm run` has two modes. **Template mode** resolves a template: `--from`, else " +
        "`<tool>.template` found by discovery, else `default_template`. **Env-scan mode** is used in " +
        "a shell that `kpm env` loaded when neither `--from` nor `--secure` is given: the shell's " +
        "`ENC[…]` values are decrypted through their listeners. Which template is used: " +
        "[templates](../templates.md); listeners: [sessions](../sessions.md); `--secure`: " +
        "[allow-list](../allowlist.md); what `--strict`, `--secure` and masking protect: " +
        "[security](../security.md).",
    ],
  },
  {
    file: "templates.md",
    title: "Templates and configuration",
    summary: "Show the template hierarchy and the merged profile values, and write a starter config file.",
    commands: ["tree", "profile", "init"],
    intro: [
      "The template language (references, `#key`, `:-default`, includes, profiles, discovery) is " +
        "described in [templates](../templates.md); the config file and its keys in " +
        "[config](../config.md).",
    ],
  },
  {
    file: "trust.md",
    title: "Project trust",
    summary: "Let kpm use a project's `.kpm/` files after you reviewed them, and take that back.",
    commands: ["trust", "untrust"],
    intro: [
      "A cloned repository can bring templates, an allow-list and profile values in `.kpm/`. kpm " +
        "uses them only after `kpm trust` recorded the SHA-256 of their content; a changed file is " +
        "ignored again. Details: [project trust](../trust.md).",
    ],
  },
  {
    file: "allow.md",
    title: "Tool pinning",
    summary:
      "Pin the tool on your `PATH` in your `--secure` allow-list, so no other program runs under its name.",
    commands: ["allow"],
    intro: [
      "`kpm allow <tool>` writes the tool's `path` and the `sha256` of its content into your own " +
        "allow-list (`<ConfigDir>/secure-allowlist.yaml`); `kpm run --secure -- <tool>` then refuses " +
        "any other file under that name. The settings and the checks: " +
        "[allow-list](../allowlist.md#tool-settings); what pinning protects: " +
        "[security](../security.md#tool-pinning).",
    ],
  },
  {
    file: "scan.md",
    title: "Scan and import",
    summary:
      "Find exposed secrets (redacted, text/JSON/SARIF) and move a `.env` file's secrets into AgentKMS.",
    commands: ["scan", "import"],
    intro: [
      "`kpm scan` reports secrets in files, staged changes and the environment with secretlint's " +
        "recommended rules plus kpm's value rules, never printing a value; `kpm import` stores a " +
        "dotenv file's secrets in the registry and writes a template whose values are references to them. " +
        "Rules, output formats, the pre-commit hook and a CI step: [scan](../scan.md).",
    ],
  },
  {
    file: "dev.md",
    title: "Dev server",
    summary:
      "Run the embedded AgentKMS-compatible dev server, create its PKI, and manage its credential store.",
    commands: ["dev"],
    intro: [
      "`kpm dev` runs an AgentKMS-compatible server in its dev dir (`--dir`, else `$AGENTKMS_DIR`, " +
        "else `~/.agentkms/dev`): certificates under `clients/<cn>/`, the encrypted store " +
        "`secrets.enc`, `audit.ndjson`, and `server.json` while it runs. `kpm quickstart` sets it " +
        "all up. Limits and timeouts: [dev server](../dev-server.md); compatibility with AgentKMS: " +
        "[AgentKMS](../agentkms.md).",
    ],
  },
  {
    file: "agent.md",
    title: "Agent",
    summary:
      "Keep one authenticated AgentKMS session and the values it vended in a per-user agent, and inspect, empty or stop it.",
    commands: ["agent"],
    intro: [
      "The first `get`, `list`, `describe`, `history`, `env` or template-mode `run` starts the agent; " +
        "later ones send one request over its socket in `<RuntimeDir>` instead of a TLS handshake, an " +
        "authentication and a vend each. It exits when idle, when a file it loaded changes, and on " +
        "`kpm agent stop`; `KPM_NO_AGENT=1` or `agent: false` turns it off. What it holds and the " +
        "trade-off of its cache: [agent](../agent.md).",
    ],
  },
  {
    file: "sync.md",
    title: "Template sync",
    summary: "Upload templates to the AgentKMS registry and download them on another machine.",
    commands: ["config"],
    intro: [
      "`kpm config push` uploads every `*.template` directly in a directory (default " +
        "`<TemplatesDir>`) as the registry secret `kpm/templates/<name>`; `kpm config pull` writes " +
        "them back. Templates hold references, not values. Templates pulled into a project's " +
        "`.kpm/templates` stay untrusted until `kpm trust`.",
    ],
  },
  {
    file: "setup.md",
    title: "Setup and diagnostics",
    summary:
      "Set everything up on a fresh machine, check a setup, install shell completion, and print help or the version.",
    commands: ["quickstart", "doctor", "completion", "version", "help"],
    intro: [
      "`kpm quickstart` starts a local dev server, seeds demo secrets and writes the config, " +
        "certificates, templates and allow-list; rerunning it changes nothing unless `--force`. " +
        "`kpm doctor` checks a setup from the config file to the server: [doctor](../doctor.md). " +
        "Help and errors: [commands](../commands.md).",
    ],
  },
];
