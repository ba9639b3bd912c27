// Path checks and encoding for URLs (kpm-cli.md §6.2): canonical paths only, because the server's
// mux answers non-canonical ones with a redirect, and each segment percent-encoded so `#`/`?` survive.
import { describeSegmentProblem, hasLongHexRun } from "@kpm/path-rules";
import { AgentKmsError } from "./errors.ts";

/** Why `path` cannot be sent, or null when it can. */
export function validatePath(path: string): string | null {
  if (path === "") return "empty path";
  if (path.startsWith("/")) return 'leading "/"';
  if (path.endsWith("/")) return 'trailing "/"';
  const segmentProblem = describeSegmentProblem(path);
  if (segmentProblem !== null) return segmentProblem;
  // Long hex runs look like keys or hashes; the server's audit validation rejects them after storing.
  if (hasLongHexRun(path)) return "run of 64 or more hex digits";
  return null;
}

/** The URL form of a validated path; throws `invalid path "<path>": <reason>` otherwise. */
export function encodePath(path: string): string {
  const reason = validatePath(path);
  if (reason !== null) {
    throw new AgentKmsError("invalid_path", `invalid path ${JSON.stringify(path)}: ${reason}`);
  }
  return path.split("/").map(encodeURIComponent).join("/");
}
