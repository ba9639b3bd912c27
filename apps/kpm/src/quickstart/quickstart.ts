// `kpm quickstart` as a library (spec §14): PKI, server, health, seed, files, summary — each step
// idempotent, so a rerun reuses the PKI, the running server and every existing file.
import { existsSync, realpathSync } from "node:fs";
import { join, resolve } from "node:path";
import {
  clientFiles,
  DEFAULT_CLIENT_CN,
  enroll,
  issueClient,
  pkiPaths,
  readServerState,
  SecretStore,
} from "@kpm/agentkms-dev";
import { MAX_PEM_BYTES, readFileBounded } from "@kpm/bounded-read";
import { describeFsError } from "@kpm/bounded-read/error";
import { findProjectDir } from "@kpm/template/core";
import { TrustChecker, TrustError, trustFiles } from "@kpm/trust";
import { CliError } from "../cli/errors.ts";
import { certificateWarning } from "../commands/dev/shared.ts";
import { loadConfig } from "../config.ts";
import { startDetached } from "../dev-control.ts";
import type { Dirs, Env } from "../paths.ts";
import { trustStorePath } from "../project-trust.ts";
import {
  CLAUDE_TEMPLATE,
  CODEX_TEMPLATE,
  configYaml,
  DEMO_CREDENTIALS,
  DEMO_REGISTRY,
  PROJECT_TEMPLATE,
  SECURE_ALLOWLIST,
  shellEnvTemplate,
} from "./demo-data.ts";
import { ensureDir, sameContent, writeUnlessPresent } from "./files.ts";
import { planServer } from "./server.ts";
import { type ProjectTemplate, summaryLines } from "./summary.ts";

export interface QuickstartOptions {
  devDir: string;
  addr: string;
  force: boolean;
  configPath: string;
  dirs: Dirs;
  cwd: string;
  /** Extra words for "stop with: kpm dev stop" when the dev dir came from --dir. */
  stopHint: string;
  /** The flags this run was given (--addr, --dir, --config), for the "run: kpm quickstart --force" fixes. */
  rerunFlags: string;
  /** kpm's environment: its PATH and session decide which "Try these" commands work as printed. */
  env: Env;
  say: (line: string) => void;
}

const PRIVATE_DIR = 0o700;
const PRIVATE_FILE = 0o600;
const PUBLIC_DIR = 0o755;
const PUBLIC_FILE = 0o644;

export async function quickstart(opts: QuickstartOptions): Promise<void> {
  const plan = await planServer(opts.devDir, opts.addr);
  await ensurePki(opts);
  const warning = certificateWarning(opts.devDir);
  if (warning) opts.say(warning);

  let addr: string;
  let pid: number | undefined;
  if (plan.kind === "reuse") {
    addr = plan.addr;
    pid = plan.pid;
    opts.say(`✓ AgentKMS dev server already running ${pid !== undefined ? `(PID ${pid})` : `at ${addr}`}`);
    opts.say("  Waiting for server to be healthy...");
  } else {
    opts.say("  Starting AgentKMS dev server...");
    const started = await startDetached({
      devDir: opts.devDir,
      addr: opts.addr,
      extraArgs: ["--rate-limit", "0"],
    });
    if (!started.ok) {
      throw new CliError([
        `quickstart failed: ${started.reason}`,
        `  Check the log: ${join(opts.devDir, "server.log")}`,
      ]);
    }
    addr = started.state.addr;
    pid = started.state.pid;
    opts.say(`✓ AgentKMS dev server started (PID ${pid})`);
    opts.say("  Waiting for server to be healthy...");
  }
  opts.say("✓ Server healthy");

  opts.say("  Seeding demo secrets...");
  await seedCredentials(opts.devDir);
  await seedRegistry(opts.devDir, addr);
  opts.say(`✓ Demo secrets loaded (${DEMO_CREDENTIALS.length} credential paths, 1 registry secret)`);

  opts.say("  Setting up KPM config and templates...");
  const projectTemplate = writeFiles(opts, addr);
  opts.say("✓ Config, certs, and templates ready");

  const summary = summaryLines({
    ...opts,
    addr,
    pid: pid ?? readServerState(opts.devDir)?.pid,
    defaultTemplate: configuredDefaultTemplate(opts.configPath, opts.dirs.home),
    projectTemplate,
  });
  for (const line of summary) opts.say(line);
}

async function ensurePki(opts: QuickstartOptions): Promise<void> {
  const { devDir } = opts;
  if (!existsSync(pkiPaths(devDir).caCert)) {
    opts.say("  Generating PKI (CA + server + client certificates)...");
    await enroll(devDir);
    opts.say("✓ PKI generated");
    return;
  }
  opts.say("✓ PKI already exists (skipping enrollment)");
  if (!existsSync(clientFiles(devDir).cert) && existsSync(pkiPaths(devDir).caKey)) {
    await issueClient(devDir, DEFAULT_CLIENT_CN);
  }
}

/** In-process, under the store lock: the API has no write route for llm/ and generic/ paths. */
async function seedCredentials(devDir: string): Promise<void> {
  await new SecretStore(devDir).update((kv) => {
    for (const [path, fields] of DEMO_CREDENTIALS) {
      const key = `kv/data/${path}`;
      if (!kv.has(key)) kv.set(key, { ...fields });
    }
  });
}

/** Through the API, so `kpm list` shows it exactly as if `kpm add` had stored it. */
async function seedRegistry(devDir: string, addr: string): Promise<void> {
  const { createClient } = await import("@kpm/agentkms-client");
  const client = createClient({ server: `https://${addr}`, ...clientFiles(devDir) });
  try {
    const existing = await client.getMetadata(DEMO_REGISTRY.path);
    if (existing && !existing.deleted) return;
    await client.writeSecret(DEMO_REGISTRY.path, { value: DEMO_REGISTRY.value });
    await client.writeMetadata(DEMO_REGISTRY.path, {
      ...DEMO_REGISTRY.metadata,
      tags: [...DEMO_REGISTRY.metadata.tags],
    });
  } finally {
    client.close();
  }
}

/** Writes what is missing (everything with --force); returns how the project template stands. */
function writeFiles(opts: QuickstartOptions, addr: string): ProjectTemplate | null {
  const { force, say } = opts;
  const { certsDir, configDir, templatesDir } = opts.dirs;
  const put = (path: string, content: string | Uint8Array, mode: number): boolean => {
    const outcome = writeUnlessPresent(path, content, mode, force);
    if (outcome === "kept") say(`  kept existing ${path} (use --force to overwrite)`);
    return outcome === "written";
  };

  ensureDir(certsDir, PRIVATE_DIR);
  const source = clientFiles(opts.devDir);
  let certsDiffer = false;
  for (const [name, from] of [
    ["ca.crt", source.ca],
    ["client.crt", source.cert],
    ["client.key", source.key],
  ] as const) {
    const bytes = readDevPem(from);
    const target = join(certsDir, name);
    if (!put(target, bytes, PRIVATE_FILE) && !sameContent(target, bytes)) certsDiffer = true;
    // The key stays in memory only as long as needed.
    bytes.fill(0);
  }
  if (certsDiffer) {
    say(
      `  warning: ${certsDir} differ from the dev server's client certificate; run: kpm quickstart --force${opts.rerunFlags}`,
    );
  }

  ensureDir(configDir, PRIVATE_DIR);
  if (!put(opts.configPath, configYaml(addr, certsDir), PRIVATE_FILE)) {
    const server = keptServer(opts.configPath, opts.dirs.home);
    if (server !== undefined && server !== `https://${addr}`) {
      say(`  note: existing config points at ${server}, not https://${addr}`);
      say(
        `  to use this server, run: kpm quickstart --force${opts.rerunFlags} (rewrites config, certs and templates)`,
      );
    }
  }

  const shellEnv = join(templatesDir, "shell-env.template");
  ensureDir(join(templatesDir, "ai"), PUBLIC_DIR);
  put(shellEnv, shellEnvTemplate(shellEnv), PUBLIC_FILE);
  put(join(configDir, "secure-allowlist.yaml"), SECURE_ALLOWLIST, PUBLIC_FILE);
  put(join(templatesDir, "ai", "claude.template"), CLAUDE_TEMPLATE, PUBLIC_FILE);
  put(join(templatesDir, "ai", "codex.template"), CODEX_TEMPLATE, PUBLIC_FILE);

  // The project kpm uses from here (a repository's .kpm above cwd included), so the template
  // lands where discovery looks; never the home directory, whose ~/.kpm is the legacy config dir.
  const projectDir = findProjectDir(resolve(opts.cwd));
  if (isSameDir(projectDir, opts.dirs.home)) return null;
  const projectTemplates = join(projectDir, ".kpm", "templates");
  const path = join(projectTemplates, ".env.template");
  try {
    ensureDir(projectTemplates, PUBLIC_DIR);
    // Trusted only when quickstart wrote it: a kept file may have come with a cloned repository.
    if (put(path, PROJECT_TEMPLATE, PUBLIC_FILE)) {
      return { path, demo: true, trusted: trustWritten(opts, projectDir, path) };
    }
  } catch (error) {
    say(`  warning: could not write ${path}: ${describeFsError(error)}`);
    return null;
  }
  return keptProjectTemplate(opts, projectDir, path);
}

/** Records the project file quickstart just wrote (docs/trust.md); a broken store only warns. */
function trustWritten(opts: QuickstartOptions, projectDir: string, path: string): boolean {
  try {
    trustFiles(trustStorePath(opts.dirs.dataDir), projectDir, [path]);
    return true;
  } catch (error) {
    if (!(error instanceof TrustError)) throw error;
    opts.say(`  warning: ${error.message}`);
    return false;
  }
}

/** A kept project template: whether it is still the demo one, and whether the user trusted it. */
function keptProjectTemplate(opts: QuickstartOptions, projectDir: string, path: string): ProjectTemplate {
  const bytes = new TextEncoder().encode(PROJECT_TEMPLATE);
  if (!sameContent(path, bytes)) return { path, demo: false, trusted: false };
  try {
    const checker = new TrustChecker(trustStorePath(opts.dirs.dataDir));
    return { path, demo: true, trusted: checker.isTrusted(projectDir, path, bytes) };
  } catch (error) {
    if (!(error instanceof TrustError)) throw error;
    return { path, demo: true, trusted: false };
  }
}

/** A PEM file of the dev dir, capped like every PEM file kpm reads. */
function readDevPem(path: string): Uint8Array {
  try {
    return readFileBounded(path, MAX_PEM_BYTES);
  } catch (error) {
    throw new CliError(`error: read ${path}: ${(error as Error).message}`);
  }
}

/** The default_template of the config written or kept; "" when it cannot be read. */
function configuredDefaultTemplate(path: string, home: string): string {
  try {
    return loadConfig(path, home).defaultTemplate;
  } catch {
    return "";
  }
}

/** The server of a config we kept, normalised like the client does; undefined when unreadable. */
function keptServer(path: string, home: string): string | undefined {
  try {
    const server = loadConfig(path, home).server;
    return server?.endsWith("/") ? server.slice(0, -1) : server;
  } catch {
    return undefined;
  }
}

function isSameDir(a: string, b: string): boolean {
  try {
    return realpathSync(a) === realpathSync(b);
  } catch {
    return a === b;
  }
}
