// Fix commands for a setup that uses the embedded dev server: they name its dir when kpm's PEM files
// sit in a dev dir that is not the default one (`kpm dev … --dir D`), so the printed command works.
import { DEV_CA_CN, devDirOfClientFile } from "@kpm/agentkms-dev/dev-dir";
import { devDir } from "../commands/dev/shared.ts";
import type { KpmContext } from "../context.ts";

const DEV_CA_SUBJECT = `CN=${DEV_CA_CN}`;
const LOOPBACK = new Set(["127.0.0.1", "localhost", "::1", "[::1]"]);

export function isDevCa(subject: string): boolean {
  return subject.split(", ").includes(DEV_CA_SUBJECT);
}

/** ` --dir D` unless D is the dir `kpm dev` uses by default. */
function dirFlag(ctx: KpmContext, dir: string | undefined): string {
  return dir === undefined || dir === devDir(ctx, undefined) ? "" : ` --dir ${dir}`;
}

/** How to get a new client certificate. */
export function renewFix(ctx: KpmContext, certPath: string, fromDevCa: boolean): string {
  if (!fromDevCa) return "ask your AgentKMS admin for a new certificate";
  const dir = devDirOfClientFile(certPath);
  if (dir !== undefined) return `kpm dev enroll --renew${dirFlag(ctx, dir)}`;
  // A copy (quickstart puts them in <DataDir>/certs): renew, then copy again.
  return "kpm dev enroll --renew, then kpm quickstart --force (copies the new certificates)";
}

/** How to start the server at `url`: the dev server for a loopback address, else the operator's. */
export function startFix(ctx: KpmContext, url: string, configPath: string, certPath?: string): string {
  const { hostname, port } = new URL(url);
  if (!LOOPBACK.has(hostname)) return `start AgentKMS at ${url}, or correct server: in ${configPath}`;
  const addr = port !== "" && port !== "8443" ? ` --addr ${hostname}:${port}` : "";
  return `kpm dev serve --detach${addr}${dirFlag(ctx, devDirOfClientFile(certPath))} (or kpm quickstart)`;
}
