// Which clients a listener serves. Landlock (ABI ≤ 7) does not stop a confined tool from
// connecting to a Unix socket by path, so the listener looks at its peer instead: a process with
// no_new_privs set (every tool `kpm run --secure` confines has it) is refused, unless the listener
// runs with no_new_privs itself (then the whole session lives inside such an environment).
import { readFileSync } from "node:fs";
import { peerCredentials } from "@kpm/libc";

export const CONFINED_PEER_REFUSAL =
  "refused: the client runs confined (no_new_privs), as a tool under kpm run --secure";

/** NoNewPrivs of /proc/<pid>/status: true, false, or null when it cannot be read (gone, no procfs). */
export function noNewPrivs(pid: number | "self", procRoot = "/proc"): boolean | null {
  try {
    const match = /^NoNewPrivs:\s*([01])$/m.exec(readFileSync(`${procRoot}/${pid}/status`, "utf8"));
    return match ? match[1] === "1" : null;
  } catch {
    return null;
  }
}

/**
 * The admission check for a listener: null to serve the connection on `fd`, else the reason to
 * refuse it. Off Linux (no SO_PEERCRED through libc) every peer is served, as before.
 */
export function confinedPeerCheck(
  listenerNoNewPrivs: boolean | null,
  procRoot = "/proc",
): (fd: number) => string | null {
  if (listenerNoNewPrivs === true) return () => null;
  return (fd) => {
    const peer = peerCredentials(fd);
    if (!peer.ok) return null;
    // A peer whose status cannot be read is refused: it may be hiding (or already gone).
    return noNewPrivs(peer.value.pid, procRoot) === false ? null : CONFINED_PEER_REFUSAL;
  };
}
