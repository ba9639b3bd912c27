// The dev data dir (cli §15.1): where it is (--dir, else $AGENTKMS_DIR, else ~/.agentkms/dev) and
// how its PKI and store are laid out, as agentkms-dev lays them out. Everything that names a file
// in a dev dir asks here; nothing else joins "clients/<cn>/…".
import { existsSync } from "node:fs";
import { basename, dirname, join } from "node:path";

/** The client certificate `kpm dev enroll` and `kpm quickstart` issue when no CN is given. */
export const DEFAULT_CLIENT_CN = "forge-gateway";
/** The CN of the dev CA: a certificate it issued names it as its issuer. */
export const DEV_CA_CN = "agentkms-dev-ca";

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

/** The files that make up a data dir's PKI and store. */
export function pkiPaths(dir: string) {
  return {
    caCert: join(dir, "ca.crt"),
    caKey: join(dir, "ca.key"),
    serverCert: join(dir, "server.crt"),
    serverKey: join(dir, "server.key"),
    clients: join(dir, "clients"),
    store: join(dir, "secrets.enc"),
  };
}

/** One client's directory and files: `clients/<cn>/client.crt`, `client.key` and its `ca.crt`. */
export function clientPaths(dir: string, cn: string) {
  const clientDir = join(dir, "clients", cn);
  return {
    dir: clientDir,
    cert: join(clientDir, "client.crt"),
    key: join(clientDir, "client.key"),
    caCert: join(clientDir, "ca.crt"),
  };
}

/** A client's files in the shape an AgentKMS client config takes (`cert`, `key`, `ca`). */
export function clientFiles(dir: string, cn = DEFAULT_CLIENT_CN): { cert: string; key: string; ca: string } {
  const paths = clientPaths(dir, cn);
  return { cert: paths.cert, key: paths.key, ca: paths.caCert };
}

/**
 * The dev dir D a client file `<D>/clients/<cn>/<file>` lives in, when D holds the dev CA's key;
 * undefined for any other path (a copy, an operator's certificate).
 */
export function devDirOfClientFile(path: string | undefined): string | undefined {
  if (path === undefined) return undefined;
  const clients = dirname(dirname(path));
  if (basename(clients) !== "clients") return undefined;
  const dir = dirname(clients);
  return existsSync(pkiPaths(dir).caKey) ? dir : undefined;
}
