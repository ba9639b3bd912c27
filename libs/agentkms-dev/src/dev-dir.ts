// Where the dev server keeps its PKI and store: --dir, else $AGENTKMS_DIR, else ~/.agentkms/dev (cli §15.1).
import { join } from "node:path";

export function resolveDevDir(opts: {
  dir?: string;
  env: Record<string, string | undefined>;
  home: string;
}): string {
  if (opts.dir) return opts.dir;
  const fromEnv = opts.env["AGENTKMS_DIR"];
  if (fromEnv) return fromEnv;
  return join(opts.home, ".agentkms", "dev");
}
