// What every command receives: global flags, environment, resolved directories, config and
// (lazily) the AgentKMS client. Everything is computed at most once per process.
import type { AgentKmsClient } from "@kpm/agentkms-client";
import { CliError } from "./cli/errors.ts";
import { toCliError } from "./cli/lib-errors.ts";
import type { Logger } from "./cli/logger.ts";
import type { KpmConfig } from "./config-flat.ts";
import type { Dirs, Env } from "./paths.ts";

export interface GlobalFlags {
  config?: string;
  server?: string;
  cert?: string;
  key?: string;
  ca?: string;
  verbose: boolean;
}

export interface ClientOptions {
  authenticateEarly?: boolean;
  viaAgent?: boolean;
}

export interface ClientSettings {
  server: string;
  cert: string;
  key: string;
  ca: string;
}

export class KpmContext {
  private paths?: typeof import("./paths.ts");
  private dirsCache?: Dirs;
  private configCache?: KpmConfig;
  private clientCache?: AgentKmsClient;

  constructor(
    readonly commandName: string,
    readonly globals: GlobalFlags,
    readonly env: Env,
    readonly cwd: string,
    readonly log: Logger,
  ) {}

  /**
   * Loads directory resolution, which `dirs`, `flagPath` and `configPath` need: node:fs and
   * node:path, ~2 ms. The dispatcher awaits it before every command but `run`, which needs it only
   * in template mode; the async methods below await it themselves.
   */
  async prepare(): Promise<void> {
    this.paths ??= await import("./paths.ts");
  }

  private get loadedPaths(): typeof import("./paths.ts") {
    if (!this.paths) throw new Error("internal error: KpmContext.prepare() was not awaited");
    return this.paths;
  }

  get dirs(): Dirs {
    this.dirsCache ??= this.loadedPaths.resolveDirs(this.env);
    return this.dirsCache;
  }

  /** `~` expansion and cwd-relative resolution for path flags (§3.3). */
  flagPath(value: string): string {
    return this.loadedPaths.expandPath(value, this.dirs.home, this.cwd);
  }

  /** The effective config file path (§4.3). */
  get configPath(): string {
    return this.globals.config ? this.flagPath(this.globals.config) : `${this.dirs.configDir}/config.yaml`;
  }

  async config(): Promise<KpmConfig> {
    if (!this.configCache) {
      await this.prepare();
      const { flatConfig, readConfigFile } = await import("./config-flat.ts");
      const { base, text } = readConfigFile(this.configPath);
      // A missing default file is an empty config (§4.3); a file named on purpose is a typo.
      if (!base.exists && this.globals.config) {
        throw new CliError([
          `error: config file not found: ${base.path} (given with --config)`,
          `  create it with: kpm init --config ${base.path}`,
        ]);
      }
      // The YAML parser and the schema only when the flat reader declines the file (read once).
      const config =
        flatConfig(base, text, this.dirs.home) ??
        (await import("./config.ts")).yamlConfig(base, text ?? "", this.dirs.home);
      for (const key of config.unknownKeys)
        this.log.debug(`kpm: config ${config.path}: unknown key "${key}" ignored`);
      this.configCache = config;
    }
    return this.configCache;
  }

  /** Server settings from flags over config, each one unset when neither gives it (§4.3). */
  async partialClientSettings(): Promise<Partial<ClientSettings>> {
    const config = await this.config();
    const pick = (flag: string | undefined, fromConfig: string | undefined, isPath: boolean) =>
      flag && flag.length > 0 ? (isPath ? this.flagPath(flag) : flag) : fromConfig;
    return {
      server: pick(this.globals.server, config.server, false),
      cert: pick(this.globals.cert, config.cert, true),
      key: pick(this.globals.key, config.key, true),
      ca: pick(this.globals.ca, config.ca, true),
    };
  }

  /** Server settings from flags over config; all four are required (§4.3). */
  async clientSettings(): Promise<ClientSettings> {
    const { server, cert, key, ca } = await this.partialClientSettings();
    if (!server || !cert || !key || !ca) {
      throw new CliError([
        "error: server, cert, key, and ca are required (set via config or flags)",
        "run: kpm quickstart (or kpm init to configure an existing AgentKMS)",
      ]);
    }
    return { server, cert, key, ca };
  }

  /**
   * The AgentKMS client, built once. `authenticateEarly` is for commands whose next step is an API
   * call: authentication starts at once and the PEM files are proven by the handshake instead of
   * a node:crypto check (openClient); the errors are the same either way. `viaAgent` is for the
   * read commands the per-user agent serves (docs/agent.md): their calls go over its socket
   * (starting it when needed) and fall back to the direct client whenever it cannot serve.
   */
  async client(options: ClientOptions = {}): Promise<AgentKmsClient> {
    if (!this.clientCache) {
      const settings = await this.clientSettings();
      const agent = await import("./agent-use.ts");
      const direct = () => this.directClient(settings, options);
      if (options.viaAgent) this.clientCache = (await agent.agentClient(this, settings, direct)) ?? undefined;
      // A write through kpm empties the agent's cache, so the next read sees it.
      this.clientCache ??= agent.flushingWrites(this, await direct());
    }
    return this.clientCache;
  }

  private async directClient(settings: ClientSettings, options: ClientOptions): Promise<AgentKmsClient> {
    const [{ createClient, openClient }, { version }] = await Promise.all([
      import("@kpm/agentkms-client"),
      import("./version.ts"),
    ]);
    const config = { ...settings, userAgent: `kpm/${version}` };
    try {
      return options.authenticateEarly ? await openClient(config) : createClient(config);
    } catch (error) {
      throw toCliError(error, "create_client");
    }
  }

  close(): void {
    this.clientCache?.close();
  }
}
