// How kpm re-executes itself (listener, detached dev server, `kpm run`'s exec step): the running
// executable's absolute path, never a PATH lookup (§18.23). From source or the npm bundle: bun +
// the entry script (Bun.main is absolute), with .env and bunfig.toml loading disabled.

export function isCompiled(): boolean {
  return Bun.main.startsWith("/$bunfs/") || /^[A-Za-z]:[\\/]~BUN[\\/]/.test(Bun.main);
}

export function selfCommand(): string[] {
  if (isCompiled()) return [process.execPath];
  return [process.execPath, "--no-env-file", "--config=/dev/null", Bun.main];
}
