// Decrypt socket paths (spec §7.3, §7.6): their length limit and the checks a client makes
// before trusting one.

import { describeFsError, errorCode } from "@kpm/bounded-read/error";
import { dirname } from "@kpm/deferred/path";
import { isSocket, type LinkStatus, lstat } from "@kpm/libc";
import { SessionError } from "./error.ts";
import { currentUid, privateDirectoryProblem } from "./runtime-dir.ts";

/** sockaddr_un.sun_path is 104 bytes on macOS including the NUL, so 103 is the portable limit. */
export const MAX_SOCKET_PATH_BYTES = 103;

/**
 * Verifies a socket before connecting: its directory is private to this uid and it is a
 * socket owned by this uid. A missing socket means the session ended → code "no_listener".
 */
export function checkSocketPath(socketPath: string): void {
  const directory = dirname(socketPath);
  const directoryProblem = privateDirectoryProblem(directory);
  if (directoryProblem !== null) refuse(socketPath, `parent directory ${directory}: ${directoryProblem}`);

  let stats: LinkStatus;
  try {
    stats = lstat(socketPath);
  } catch (error) {
    if (errorCode(error) === "ENOENT") {
      throw new SessionError("no_listener", `decrypt socket ${socketPath} does not exist`);
    }
    refuse(socketPath, `it cannot be inspected: ${describeFsError(error)}`);
  }
  if (!isSocket(stats)) refuse(socketPath, "it is not a socket");
  const uid = currentUid();
  if (stats.uid !== uid) refuse(socketPath, `it is owned by uid ${stats.uid}, not ${uid}`);
}

function refuse(socketPath: string, reason: string): never {
  throw new SessionError("socket_refused", `refusing to use decrypt socket ${socketPath}: ${reason}`);
}
