// Decrypt socket paths (spec §7.3, §7.6): where a session's socket lives, and the checks a
// client makes before trusting one.
import { lstatSync } from "node:fs";
import { dirname, join } from "node:path";
import { SessionError } from "./error.ts";
import { describeFsError, errorCode } from "./fs-error.ts";
import { currentUid, privateDirectoryProblem } from "./runtime-dir.ts";

/** sockaddr_un.sun_path is 104 bytes on macOS including the NUL, so 103 is the portable limit. */
export const MAX_SOCKET_PATH_BYTES = 103;

export function socketPathFor(runtimeDir: string, sessionId: string): string {
  const socketPath = join(runtimeDir, `${sessionId}.sock`);
  const bytes = Buffer.byteLength(socketPath);
  if (bytes > MAX_SOCKET_PATH_BYTES) {
    throw new SessionError(
      "socket_path_too_long",
      `socket path too long (${bytes} bytes, max ${MAX_SOCKET_PATH_BYTES}): ${socketPath}; set XDG_RUNTIME_DIR or TMPDIR to a shorter directory`,
    );
  }
  return socketPath;
}

/**
 * Verifies a socket before connecting: its directory is private to this uid and it is a
 * socket owned by this uid. A missing socket means the session ended → code "no_listener".
 */
export function checkSocketPath(socketPath: string): void {
  const directory = dirname(socketPath);
  const directoryProblem = privateDirectoryProblem(directory);
  if (directoryProblem !== null) refuse(socketPath, `parent directory ${directory}: ${directoryProblem}`);

  let stats: ReturnType<typeof lstatSync>;
  try {
    stats = lstatSync(socketPath);
  } catch (error) {
    if (errorCode(error) === "ENOENT") {
      throw new SessionError("no_listener", `decrypt socket ${socketPath} does not exist`);
    }
    refuse(socketPath, `it cannot be inspected: ${describeFsError(error)}`);
  }
  if (!stats.isSocket()) refuse(socketPath, "it is not a socket");
  const uid = currentUid();
  if (stats.uid !== uid) refuse(socketPath, `it is owned by uid ${stats.uid}, not ${uid}`);
}

function refuse(socketPath: string, reason: string): never {
  throw new SessionError("socket_refused", `refusing to use decrypt socket ${socketPath}: ${reason}`);
}
