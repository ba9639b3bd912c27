// Quickstart step 2 (spec §14): decide, before anything is changed, whether to reuse our healthy
// dev server at <addr>, start one, or stop because a foreign process holds the address.
import { existsSync } from "node:fs";
import { clientFiles, pkiPaths } from "@kpm/agentkms-dev/dev-dir";
import { describeFsError } from "@kpm/bounded-read/error";
import { CliError } from "../cli/errors.ts";
import { listenAddress, probeHealth, runningServer } from "../dev-control.ts";
import { canListen } from "./port.ts";

export type ServerPlan = { kind: "reuse"; addr: string; pid?: number } | { kind: "start" };

export async function planServer(devDir: string, addr: string): Promise<ServerPlan> {
  const { host, port } = listenAddress(addr);
  const running = runningServer(devDir);
  const canProbe = existsSync(pkiPaths(devDir).caCert) && existsSync(clientFiles(devDir).cert);
  // Port 0 asks for "any port": the dir's running server, wherever it listens, is the answer.
  const probeAddr = port === 0 && running ? running.addr : addr;
  if (canProbe && (port !== 0 || running) && (await probeHealth(devDir, probeAddr))) {
    const pid = running && running.addr === probeAddr ? running.pid : undefined;
    return { kind: "reuse", addr: probeAddr, ...(pid !== undefined ? { pid } : {}) };
  }
  if (running && running.addr !== addr) {
    // `dev serve` would refuse a second server for the same dir; say so before changing anything.
    throw new CliError(
      `quickstart failed: a dev server for ${devDir} is already running at ${running.addr} (PID ${running.pid}); ` +
        `use --addr ${running.addr} or stop it with: kpm dev stop --dir ${devDir}`,
    );
  }
  let free: boolean;
  try {
    free = canListen(host, port);
  } catch (error) {
    throw new CliError(`quickstart failed: listen ${addr}: ${listenReason(error)}`);
  }
  if (!free) {
    throw new CliError(
      `quickstart failed: listen ${addr}: address already in use; pick another with --addr 127.0.0.1:${freePort()}`,
    );
  }
  return { kind: "start" };
}

function listenReason(error: unknown): string {
  return typeof error === "string" ? error : describeFsError(error);
}

/** A port that is free right now, to make the suggestion directly usable. */
function freePort(): number {
  const listener = Bun.listen({ hostname: "127.0.0.1", port: 0, socket: { data() {} } });
  const { port } = listener;
  listener.stop(true);
  return port;
}
