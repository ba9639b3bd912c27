// A fresh HOME owned by `nobody`, with its own copy of a dev server's client files and a kpm config
// naming them, so a compiled kpm started through setpriv (AS_NOBODY) runs as an ordinary user
// would: CI runs as root, and root reads everything.
import { chmodSync, chownSync, copyFileSync, mkdirSync, mkdtempSync, readdirSync, rmSync } from "node:fs";
import { join } from "node:path";
import { writeKpmConfig } from "./kpm-env.ts";
import { NOBODY } from "./processes.ts";

export interface NobodyHome {
  /** Owned by nobody, mode 0755; removed by cleanup(). */
  root: string;
  home: string;
  tmp: string;
  /** HOME, TMPDIR, USER, LANG and a PATH of system directories. */
  env: Record<string, string>;
  /** Gives everything created below `root` since the last call to nobody. */
  chown(): void;
  cleanup(): void;
}

function chownTree(path: string): void {
  chownSync(path, NOBODY, NOBODY);
  for (const entry of readdirSync(path, { withFileTypes: true, recursive: true }))
    chownSync(join(entry.parentPath, entry.name), NOBODY, NOBODY);
}

export function nobodyHome(server: {
  addr: string;
  clientFiles: { cert: string; key: string; ca: string };
}): NobodyHome {
  const root = mkdtempSync("/tmp/kt-nb-");
  chmodSync(root, 0o755);
  const home = join(root, "h");
  const tmp = join(root, "t");
  mkdirSync(home, { mode: 0o700 });
  mkdirSync(tmp, { mode: 0o700 });
  const certs = join(home, ".config/kpm/certs");
  mkdirSync(certs, { recursive: true, mode: 0o700 });
  const copy = (from: string, name: string) => {
    const to = join(certs, name);
    copyFileSync(from, to);
    chmodSync(to, 0o600);
    return to;
  };
  const clientFiles = {
    cert: copy(server.clientFiles.cert, "client.crt"),
    key: copy(server.clientFiles.key, "client.key"),
    ca: copy(server.clientFiles.ca, "ca.crt"),
  };
  writeKpmConfig(home, { addr: server.addr, clientFiles });
  chownTree(root);
  return {
    root,
    home,
    tmp,
    env: { HOME: home, TMPDIR: tmp, USER: "nobody", LANG: "C.UTF-8", PATH: "/usr/local/bin:/usr/bin:/bin" },
    chown: () => chownTree(root),
    cleanup: () => rmSync(root, { recursive: true, force: true }),
  };
}
