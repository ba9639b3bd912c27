// Project trust (docs/trust.md): a file that a project directory brings (`<dir>/.kpm/…`, or the
// default template resolved in the current directory) is used only when `kpm trust <dir>` recorded
// exactly its content. Files under <ConfigDir> and files the user names (`--from FILE`) need no
// record. Imported only where a template, allow-list or project profile is about to be read.
import { dirname, join, resolve, sep } from "@kpm/deferred/path";
import { realPathIfPresent } from "@kpm/libc";
import { findProjectDir } from "@kpm/template/project-dir";
import { MAX_TRUSTED_FILE_BYTES, readRegularFile, TRUST_STORE_FILE, TrustChecker } from "@kpm/trust";
import { CliError } from "./cli/errors.ts";
import { toCliError } from "./cli/lib-errors.ts";
import type { KpmContext } from "./context.ts";
import { shellWord } from "./env-output.ts";

/** skip: one stderr line, then the file counts as absent. fail: that line is the error (--secure). */
export type OnUntrusted = "skip" | "fail";

export function trustStorePath(dataDir: string): string {
  return join(dataDir, TRUST_STORE_FILE);
}

/** `kpm: ignoring untrusted <file> — review it, then run: kpm trust <dir>` */
export function untrustedLine(file: string, projectDir: string): string {
  return `kpm: ignoring untrusted ${file} — review it, then run: kpm trust ${shellWord(projectDir)}`;
}

/** Whether `path` is `dir` or below it (both absolute and normalised). */
export function isWithin(dir: string, path: string): boolean {
  return path === dir || path.startsWith(dir.endsWith(sep) ? dir : `${dir}${sep}`);
}

const perContext = new WeakMap<KpmContext, ProjectTrust>();

/** One instance per command run, so each untrusted file is reported once however often it is met. */
export function projectTrust(ctx: KpmContext): ProjectTrust {
  let trust = perContext.get(ctx);
  if (trust === undefined) {
    trust = new ProjectTrust(ctx);
    perContext.set(ctx, trust);
  }
  return trust;
}

export class ProjectTrust {
  private checker?: TrustChecker;
  private userRoots?: string[];
  private project?: string;
  private readonly reported = new Set<string>();

  constructor(private readonly ctx: KpmContext) {}

  /** Under <ConfigDir> (as written or as its real path): the user's own file. */
  isUserFile(file: string): boolean {
    if (this.userRoots === undefined) {
      const configDir = resolve(this.ctx.cwd, this.ctx.dirs.configDir);
      this.userRoots = [configDir];
      // No config dir yet (null): nothing can be under its real path.
      const real = realPathIfPresent(configDir);
      if (real !== null) this.userRoots.push(real);
    }
    const path = resolve(this.ctx.cwd, file);
    return this.userRoots.some((root) => isWithin(root, path));
  }

  /**
   * `<project>/.kpm/…` belongs to the project found from the current directory (findProjectDir:
   * the nearest `.kpm` up to the repository root), unless it is the user's config dir (legacy ~/.kpm).
   */
  projectDirOfTemplate(file: string): string | null {
    if (this.isUserFile(file)) return null;
    const project = this.projectDir();
    return isWithin(join(project, ".kpm"), resolve(this.ctx.cwd, file)) ? project : null;
  }

  /** The project directory of this run (findProjectDir, asked once). */
  projectDir(): string {
    this.project ??= findProjectDir(resolve(this.ctx.cwd));
    return this.project;
  }

  /** A walk-up `<dir>/.kpm/config.yaml` belongs to `<dir>`. */
  projectDirOfProfile(file: string): string | null {
    return this.isUserFile(file) ? null : dirname(dirname(resolve(this.ctx.cwd, file)));
  }

  /**
   * True when `bytes` are what the user trusted for `file` in `projectDir`. Otherwise one line on
   * stderr and false, or (fail) that line as the error. A broken store is an error either way.
   */
  allows(projectDir: string, file: string, bytes: Uint8Array, onUntrusted: OnUntrusted): boolean {
    let trusted: boolean;
    try {
      this.checker ??= new TrustChecker(trustStorePath(this.ctx.dirs.dataDir));
      trusted = this.checker.isTrusted(projectDir, file, bytes);
    } catch (error) {
      throw toCliError(error);
    }
    if (trusted) return true;
    const line = untrustedLine(file, projectDir);
    if (onUntrusted === "fail") throw new CliError(line);
    if (!this.reported.has(file)) {
      this.reported.add(file);
      this.ctx.log.warn(line);
    }
    return false;
  }

  /**
   * For choosing a template before it is loaded (discovery, default template): reads the file to
   * judge it. The loader judges again on the bytes it parses, so a swap in between is refused there.
   */
  allowsPath(projectDir: string, file: string, onUntrusted: OnUntrusted): boolean {
    const read = readRegularFile(file, MAX_TRUSTED_FILE_BYTES);
    // Unreadable, too large or gone: let the loader report it as it would without trust.
    if (read.kind !== "bytes") return true;
    return this.allows(projectDir, file, read.bytes, onUntrusted);
  }
}

/** The allow-list gate (§9.1.1): the user's list needs no record; a project's must be trusted, or --secure stops. */
export function allowlistGate(ctx: KpmContext): (file: string, bytes: Uint8Array) => boolean {
  const trust = projectTrust(ctx);
  // The project candidate is `<project>/.kpm/secure-allowlist.yaml`.
  return (file, bytes) => trust.isUserFile(file) || trust.allows(dirname(dirname(file)), file, bytes, "fail");
}

/**
 * The gate for the walk's `.kpm/config.yaml` files (§5.6): an untrusted one is skipped with the
 * line in every mode (nothing falls back to something else). The config file the user loads
 * (`--config`) needs no record even when the walk meets it first.
 */
export function profileGate(
  ctx: KpmContext,
  configPath: string,
): (file: string, bytes: Uint8Array) => boolean {
  const trust = projectTrust(ctx);
  const loaded = resolve(ctx.cwd, configPath);
  return (file, bytes) => {
    if (resolve(ctx.cwd, file) === loaded) return true;
    const projectDir = trust.projectDirOfProfile(file);
    return projectDir === null || trust.allows(projectDir, file, bytes, "skip");
  };
}
