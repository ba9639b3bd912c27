// How kpm re-executes itself (listener, detached dev server): the running executable's absolute
// path, never a PATH lookup (§18.23). From source or the npm bundle: bun + the entry script,
// with .env and bunfig.toml loading disabled.
import { resolve } from "node:path";

export function isCompiled(): boolean {
  return Bun.main.startsWith("/$bunfs/") || /^[A-Za-z]:[\\/]~BUN[\\/]/.test(Bun.main);
}

export function selfCommand(): string[] {
  if (isCompiled()) return [process.execPath];
  return [process.execPath, "--no-env-file", "--config=/dev/null", resolve(Bun.main)];
}
